import { createApi } from "./app";

/** The isolate's one API app: the Worker's fetch handler, and the native ingest's way in. */
export const api = createApi();
