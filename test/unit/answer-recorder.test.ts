// The scan the e2e guard runs over every API answer must find a leak wherever it is: body, header, encoded key.
import { durableLeaks } from "../support/answer-recorder";
import type { RecordedAnswer } from "../support/answer-recorder";

const KEY = "durable-system-key/with+odd=chars";
const answer = (body: string, headers: [string, string][] = []): RecordedAnswer => ({
  method: "POST",
  url: "http://127.0.0.1:7071/api/v1/users/ada%40contoso.com/certificates",
  status: 202,
  headers,
  body,
});

describe("durableLeaks", () => {
  it("passes the answers this app gives", () => {
    const clean = answer('{"requestId":"0a","status":"pending","statusUrl":"http://h/api/v1/requests/0a"}', [
      ["location", "http://h/api/v1/requests/0a"],
    ]);
    expect(durableLeaks([clean], [KEY])).toEqual([]);
  });

  it("finds the durable webhook, a code= key and a key's value in bodies and headers", () => {
    const link = `http://h/runtime/webhooks/durabletask/instances/x?taskHub=h&connection=Storage&code=${encodeURIComponent(KEY)}`;
    expect(durableLeaks([answer(JSON.stringify({ statusQueryGetUri: link }))], [KEY])).toEqual([
      "POST /api/v1/users/ada%40contoso.com/certificates (202) body: runtime/webhooks/durabletask",
      "POST /api/v1/users/ada%40contoso.com/certificates (202) body: code=",
      "POST /api/v1/users/ada%40contoso.com/certificates (202) body: statusQueryGetUri",
      "POST /api/v1/users/ada%40contoso.com/certificates (202) body: a key",
    ]);
    expect(durableLeaks([answer("", [["location", link]])], [KEY])).toHaveLength(3);
    expect(durableLeaks([answer(`oops ${KEY}`)], [KEY])).toEqual([
      "POST /api/v1/users/ada%40contoso.com/certificates (202) body: a key",
    ]);
  });
});
