// Each module registers its types on the builder; importing them in this order builds the schema.
import { builder } from "../builder.js";
import { resolveInSlices } from "./execution-slices.js";
import "./errors.js";
import "./device.js";
import "./pool.js";
import "./service.js";
import "./schedule.js";
import "./run-step.js";
import "./run.js";
import "./task.js";
import "./task-summary.js";
import "./schedule-view.js";
import "./task-event.js";
import "./run-event.js";
import "./api-token.js";
import "./viewer.js";
import "./instance.js";

export const schema = resolveInSlices(builder.toSchema({ sortSchema: true }));
