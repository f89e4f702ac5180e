import { finishRun } from "./guard";

export default finishRun;
