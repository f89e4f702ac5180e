import { startRun } from "./guard";

export default startRun;
