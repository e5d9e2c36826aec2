// Installed for every e2e test file (jest.config.js): every API answer of the file is recorded, and the file fails if
// any body or header carried a durable management URL, a `code=` key or a registered key (issue 10's acceptance).
import { durableLeaks, recordApiAnswers, recordedAnswers } from "./answer-recorder";

recordApiAnswers();

afterAll(() => {
  expect(durableLeaks(recordedAnswers())).toEqual([]);
});
