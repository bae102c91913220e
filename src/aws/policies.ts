export const REVOKE_POLICY_NAME = "keyfence-revoke-older-sessions";

/**
 * Deactivating a key does not end the temporary sessions already obtained with it
 * (sts:GetSessionToken, sts:GetFederationToken). AWS's documented remedy: deny everything to
 * credentials issued before a point in time.
 */
export function revokeOlderSessionsPolicy(before: Date) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "KeyfenceRevokeOlderSessions",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": before.toISOString() } },
      },
    ],
  };
}
