import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../config.js";

/**
 * The dashboard's mail: password reset links, invitations, payment access decisions. Sent over
 * SMTP with nodemailer when OKRO_SMTP_URL is set; without it the whole mail (link included) is
 * written to the log, so a developer running `npm start` can still reset a password or accept
 * an invitation. A mail that cannot be sent is logged and reported to the caller, never retried
 * blindly: the person can ask again.
 */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export type MailLog = { info: (obj: object, msg: string) => void; error: (obj: object, msg: string) => void };

const transports = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let t = transports.get(url);
  if (!t) {
    t = nodemailer.createTransport(url);
    transports.set(url, t);
  }
  return t;
}

/** "sent" over SMTP, "logged" without SMTP, "failed" when the SMTP server refused or was unreachable (logged). */
export async function sendMail(config: Pick<Config, "mail">, mail: Mail, log: MailLog): Promise<"sent" | "logged" | "failed"> {
  if (!config.mail.smtpUrl) {
    log.info({ mail: { to: mail.to, subject: mail.subject } }, `No SMTP configured (OKRO_SMTP_URL); the mail follows.\n${mail.text}`);
    return "logged";
  }
  try {
    await transportFor(config.mail.smtpUrl).sendMail({ from: config.mail.from, to: mail.to, subject: mail.subject, text: mail.text });
    return "sent";
  } catch (error) {
    log.error({ mail: { to: mail.to, subject: mail.subject }, err: error }, "Could not send a dashboard mail");
    return "failed";
  }
}

/** The dashboard's base URL for links in mails: the configured public URL, else the request's own origin. */
export function dashboardBase(config: Pick<Config, "publicUrl">, req: { protocol: string; host: string }): string {
  return `${config.publicUrl ?? `${req.protocol}://${req.host}`}/dashboard`;
}
