/**
 * AWS's own quarantine policies, which AWS attaches to an IAM user whose key it found exposed.
 * Only the IAM/STS-relevant part of the deny list is modelled (the real documents also deny
 * ec2:RunInstances, lambda:CreateFunction and many other actions this simulator has no service for).
 */
const IAM_DENIED = [
  "iam:AddUserToGroup",
  "iam:AttachGroupPolicy",
  "iam:AttachRolePolicy",
  "iam:AttachUserPolicy",
  "iam:ChangePassword",
  "iam:CreateAccessKey",
  "iam:CreateInstanceProfile",
  "iam:CreateLoginProfile",
  "iam:CreatePolicyVersion",
  "iam:CreateRole",
  "iam:CreateUser",
  "iam:DetachUserPolicy",
  "iam:PassRole",
  "iam:PutGroupPolicy",
  "iam:PutRolePolicy",
  "iam:PutUserPermissionsBoundary",
  "iam:PutUserPolicy",
  "iam:SetDefaultPolicyVersion",
  "iam:UpdateAccessKey",
  "iam:UpdateAccountPasswordPolicy",
  "iam:UpdateAssumeRolePolicy",
  "iam:UpdateLoginProfile",
  "iam:UpdateUser",
  "cloudtrail:LookupEvents",
  "ec2:RequestSpotInstances",
  "ec2:RunInstances",
  "ec2:StartInstances",
  "lambda:CreateFunction",
  "organizations:CreateAccount",
];

const doc = (actions: string[]) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action: actions, Resource: ["*"] }],
});

export const QUARANTINE_POLICIES: Record<string, ReturnType<typeof doc>> = {
  "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantine": doc(IAM_DENIED.filter((a) => !/AddUserToGroup|CreatePolicyVersion|PassRole|PutGroupPolicy|PutRolePolicy|SetDefaultPolicyVersion|UpdateAssumeRolePolicy|UpdateLoginProfile|cloudtrail/.test(a))),
  "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2": doc(IAM_DENIED),
  "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3": doc(IAM_DENIED),
};

export function managedPolicyName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
