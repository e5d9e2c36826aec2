// A response as the emulator's handlers produce it, independent of the HTTP framework that sends it.
import type { Json } from "./json";

export interface ArmReply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}
