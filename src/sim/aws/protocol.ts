/** Wire rendering per protocol: awsQuery XML for IAM/STS, awsJson1_1 for Secrets Manager. */
import { AwsError } from "./errors.js";
import type { Service } from "./context.js";
import { NS, queryError, queryResponse, type XmlValue } from "./xml.js";

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const QUERY_VERSION: Record<"iam" | "sts", string> = { iam: "2010-05-08", sts: "2011-06-15" };

export const isJsonService = (s: Service) => s === "secretsmanager";

/** JSON services name the common auth errors differently from query services. */
const JSON_CODE: Record<string, [string, number]> = {
  InvalidClientTokenId: ["UnrecognizedClientException", 400],
  SignatureDoesNotMatch: ["InvalidSignatureException", 400],
  ExpiredToken: ["ExpiredTokenException", 400],
  AccessDenied: ["AccessDeniedException", 400],
  MissingAuthenticationToken: ["MissingAuthenticationTokenException", 403],
  IncompleteSignature: ["IncompleteSignatureException", 403],
  Throttling: ["ThrottlingException", 400],
  InvalidAction: ["UnknownOperationException", 400],
  ValidationError: ["ValidationException", 400],
};

export function toJsonError(e: AwsError): AwsError {
  const m = JSON_CODE[e.code];
  return m ? new AwsError(m[0], e.message, m[1]) : e;
}

export function renderQuery(service: "iam" | "sts", action: string, result: { [k: string]: XmlValue } | undefined, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: queryResponse(NS[service], action, result, requestId),
  };
}

export function renderQueryError(service: "iam" | "sts", e: AwsError, requestId: string): WireResponse {
  return {
    status: e.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: queryError(NS[service], e, requestId),
  };
}

export function renderJson(result: Record<string, unknown>, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId },
    body: JSON.stringify(result),
  };
}

/** Errors Secrets Manager models itself carry `Message`; the AWS front end's (auth, throttling) `message`. */
const MODELLED = new Set([
  "ResourceNotFoundException",
  "ResourceExistsException",
  "InvalidParameterException",
  "InvalidRequestException",
  "LimitExceededException",
  "DecryptionFailure",
  "EncryptionFailure",
  "InternalServiceError",
  "MalformedPolicyDocumentException",
  "PreconditionNotMetException",
  "PublicPolicyException",
]);

export function renderJsonError(e: AwsError, requestId: string): WireResponse {
  const j = toJsonError(e);
  const body = MODELLED.has(j.code) ? { __type: j.code, Message: j.message } : { __type: j.code, message: j.message };
  return {
    status: j.status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId, "x-amzn-errortype": j.code },
    body: JSON.stringify(body),
  };
}
