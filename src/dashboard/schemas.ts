import { z } from "zod";
import { envelope } from "../core/envelope.js";
import { Email, Id, NewPassword, User } from "../platform/schemas.js";

/** The dashboard API's own bodies and answers (team, password reset, payment access, overview). Strict: an unknown field is a 400 naming it. */

const Token = z.string().min(1, "must not be empty").max(200, "must be at most 200 characters");
const Name = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");
const InviteRole = z.enum(["admin", "developer", "viewer"]);

export const ForgotPasswordBody = z.strictObject({ email: Email });
export const ResetPasswordBody = z.strictObject({ token: Token, password: NewPassword });
export const InvitationTokenBody = z.strictObject({ token: Token });
export const AcceptInvitationBody = z.strictObject({ token: Token, name: Name, password: NewPassword });
export const InviteBody = z.strictObject({ email: Email, role: InviteRole });
export const ChangeRoleBody = z.strictObject({ id: Id, role: z.enum(["owner", "admin", "developer", "viewer"]) });
export const IdBody = z.strictObject({ id: Id });

const Invitation = z.object({
  id: z.string(),
  email: z.string(),
  role: InviteRole,
  created_at: z.string(),
  expires_at: z.string(),
  status: z.enum(["pending", "accepted", "revoked", "expired"]),
});

export const MessageResponse = envelope(z.object({}));
export const InvitationLookupResponse = envelope(z.object({ company_name: z.string(), email: z.string(), role: InviteRole }));
export const AcceptInvitationResponse = envelope(z.object({ user: User }));
export const TeamResponse = envelope(z.object({ members: z.array(User), invitations: z.array(Invitation) }));
export const InvitationResponse = envelope(z.object({ invitation: Invitation, mail: z.enum(["sent", "logged", "failed"]) }));
export const RevokedInvitationResponse = envelope(z.object({ invitation: Invitation }));
export const MemberResponse = envelope(z.object({ user: User }));

const Text = (max: number) => z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
export const AccessRequestBody = z.strictObject({
  legal_name: Text(200),
  registration_number: z
    .string()
    .trim()
    .regex(/^(RC|BN|IT)?\s?\d{3,10}$/i, "must be a CAC registration number such as RC 123456 or BN 1234567"),
  address: Text(300),
  website: z.union([z.literal(""), z.url("must be a URL such as https://example.com").max(300)]).optional(),
  contact_phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{7,20}$/, "must be a phone number such as +234 803 123 4567"),
  description: Text(1000),
});

const Business = z.object({
  legal_name: z.string(),
  registration_number: z.string(),
  address: z.string(),
  website: z.string().optional(),
  contact_phone: z.string(),
  description: z.string(),
});
export const AccessRequest = z.object({
  id: z.string(),
  company_id: z.string(),
  company_name: z.string().optional(),
  state: z.enum(["pending", "approved", "declined"]),
  business: Business,
  created_at: z.string(),
  decided_at: z.string().nullable(),
  decided_by: z.string().nullable(),
  decision_note: z.string().nullable(),
});
export const AccessStatusResponse = envelope(z.object({ production_enabled: z.boolean(), latest_request: AccessRequest.nullable(), operator: z.boolean() }));
export const AccessRequestResponse = envelope(z.object({ request: AccessRequest }));
export const AccessRequestListResponse = envelope(z.object({ requests: z.array(AccessRequest) }));
export const OperatorListQuery = z.strictObject({ state: z.enum(["pending", "approved", "declined"]).optional() });
export const DecideBody = z.strictObject({ id: Id, decision: z.enum(["approve", "decline"]), note: z.string().trim().max(500, "must be at most 500 characters").optional() });

export const ChecklistResponse = envelope(
  z.object({
    steps: z.array(z.object({ id: z.string(), title: z.string(), done: z.boolean(), detail: z.string(), href: z.string() })),
  }),
);
export const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1, "must be at least 1").max(200, "must be at most 200").default(50),
  before: Id.optional(),
});
export const AuditResponse = envelope(
  z.object({
    entries: z.array(
      z.object({
        id: z.string(),
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        env: z.enum(["sandbox", "production"]).nullable(),
        object_type: z.string().nullable(),
        object_id: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
);
