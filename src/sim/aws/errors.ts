/** An error the simulated AWS returns; rendered as query XML or JSON by the protocol layer. */
export class AwsError extends Error {
  readonly status: number;
  readonly type: "Sender" | "Receiver";
  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? defaultStatus(code);
    this.type = this.status >= 500 ? "Receiver" : "Sender";
  }
}

/** HTTP status AWS uses for each error code (IAM/STS query codes and JSON exception names). */
const STATUS: Record<string, number> = {
  // IAM
  NoSuchEntity: 404,
  LimitExceeded: 409,
  EntityAlreadyExists: 409,
  DeleteConflict: 409,
  ConcurrentModification: 409,
  EntityTemporarilyUnmodifiable: 409,
  MalformedPolicyDocument: 400,
  InvalidInput: 400,
  UnmodifiableEntity: 400,
  ServiceFailure: 500,
  // common (query)
  AccessDenied: 403,
  AccessDeniedException: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  IncompleteSignature: 400,
  MissingAuthenticationToken: 403,
  ExpiredToken: 403,
  RequestExpired: 400,
  InvalidAction: 400,
  MissingAction: 400,
  MissingParameter: 400,
  InvalidParameterValue: 400,
  ValidationError: 400,
  Throttling: 400,
  ThrottlingException: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  // STS
  MalformedPolicyDocumentException: 400,
  PackedPolicyTooLarge: 400,
  RegionDisabledException: 403,
  ExpiredTokenException: 400,
  // JSON services
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 400,
  ResourceExistsException: 400,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  LimitExceededException: 400,
  DecryptionFailure: 400,
  EncryptionFailure: 400,
  InternalServiceError: 500,
  UnknownOperationException: 400,
  SerializationException: 400,
  ValidationException: 400,
};

export function defaultStatus(code: string): number {
  return STATUS[code] ?? 400;
}

export const MSG = {
  invalidToken: "The security token included in the request is invalid.",
  badSignature:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  expired: "The security token included in the request is expired",
  missingAuth: "Request is missing Authentication Token",
};

export const req = (params: Record<string, string>, name: string, field?: string): string => {
  const v = params[name];
  if (v === undefined || v === "") {
    const f = field ?? name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError("ValidationError", `1 validation error detected: Value null at '${f}' failed to satisfy constraint: Member must not be null`);
  }
  return v;
};
