/** GitHub-shaped API errors. */
export const DOCS = "https://docs.github.com/rest";

export interface ValidationErrorItem {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
  value?: unknown;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public extra: Record<string, unknown> = {},
    public headers: Record<string, string> = {},
    public documentationUrl: string = DOCS,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    return { message: this.message, ...this.extra, documentation_url: this.documentationUrl, status: String(this.status) };
  }
}

export const notFound = () => new ApiError(404, "Not Found", {}, {}, "https://docs.github.com/rest");
export const badCredentials = () => new ApiError(401, "Bad credentials");
export const requiresAuth = () => new ApiError(401, "Requires authentication");
export const forbidden = (msg = "Resource not accessible by integration") => new ApiError(403, msg);
export const validationFailed = (errors: ValidationErrorItem[], message = "Validation Failed") =>
  new ApiError(422, message, { errors });
export const invalidRequest = (message: string) => new ApiError(422, message);

const STATUS_TEXT: Record<number, string> = {
  400: "Problems parsing JSON",
  401: "Bad credentials",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Validation Failed",
  429: "Too Many Requests",
  500: "Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export const SECONDARY_RATE_LIMIT_DOCS =
  "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

/** Default body GitHub sends for a given status (used by injected faults). */
export function defaultErrorBody(status: number, headers: Record<string, string>): Record<string, unknown> {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  if ((status === 403 || status === 429) && ("retry-after" in lower || status === 429)) {
    return {
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
      documentation_url: SECONDARY_RATE_LIMIT_DOCS,
      status: String(status),
    };
  }
  if (status === 403 && lower["x-ratelimit-remaining"] === "0") {
    return {
      message: "API rate limit exceeded for installation ID 0.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
      status: "403",
    };
  }
  return { message: STATUS_TEXT[status] ?? "Error", documentation_url: DOCS, status: String(status) };
}
