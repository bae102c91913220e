import type { RawRequest } from "./sigv4.js";
import type { Principal, SimState } from "./state.js";

export type Service = "iam" | "sts" | "secretsmanager";

/** What an action handler gets. */
export interface ActionContext {
  state: SimState;
  service: Service;
  action: string;
  principal: Principal;
  region: string;
  requestId: string;
  raw: RawRequest;
  /** Throws AccessDenied if an identity policy explicitly denies `service:action` on `resource`. */
  authorize(resource: string, action?: string): void;
}
