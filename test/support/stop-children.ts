// Vitest setup file: at the end of every test file, the child processes its tests left running
// (a test that failed or timed out before stopping its server) are killed with their groups.
import { afterAll } from "vitest";
import { stopAllChildren } from "./child-processes.js";

afterAll(stopAllChildren);
