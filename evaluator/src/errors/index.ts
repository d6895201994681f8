export {
  BenchError,
  formatBenchError,
  isBenchError,
  RetryableBackendError,
} from "./bench-error.ts";
export { type ErrorCode, errorCatalogue, errorCodes } from "./catalogue.ts";
