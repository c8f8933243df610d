import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/**
 * A local SMTP server for tests: every mail Okro sends is kept, decoded enough to read links
 * (quoted-printable soft breaks and `=3D`). `next(to)` waits for the next mail to that address
 * (resolved by the SMTP DATA callback, no polling).
 */
export interface ReceivedMail {
  to: string[];
  raw: string;
  text: string;
}

export class Mailbox {
  readonly mails: ReceivedMail[] = [];
  private waiters: { to: string; resolve: (m: ReceivedMail) => void }[] = [];
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const text = raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        const mail = { to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, text };
        this.mails.push(mail);
        for (const w of [...this.waiters]) {
          if (mail.to.includes(w.to)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next mail to `to` (one already received and not yet taken counts). */
  next(to: string): Promise<ReceivedMail> {
    const address = to.toLowerCase();
    const seen = this.mails.findIndex((m) => m.to.includes(address));
    if (seen !== -1) return Promise.resolve(this.mails.splice(seen, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ to: address, resolve: (m) => (this.mails.splice(this.mails.indexOf(m), 1), resolve(m)) }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The first dashboard link in a mail, with its token. */
export function linkIn(mail: ReceivedMail, path: string): { url: string; token: string } {
  const match = new RegExp(`(https?://\\S+/dashboard${path}\\?token=([A-Za-z0-9_%-]+))`).exec(mail.text);
  if (!match) throw new Error(`no ${path} link in mail:\n${mail.text}`);
  return { url: match[1]!, token: decodeURIComponent(match[2]!) };
}
