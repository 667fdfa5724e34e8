import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AuthUser } from '../auth/auth-user';

/** How long a signed media link stays valid after it is issued. */
export const MEDIA_LINK_TTL_SECONDS = 300;

/** The query a signed media link carries: `?u=<userId>&exp=<unix seconds>&sig=<base64url HMAC>`. */
export interface MediaLinkCredentials {
  u?: string;
  exp?: string;
  sig?: string;
}

/** A link whose signature and expiry were checked: `userId` may read `mediaId` (it could when it was issued). */
export interface VerifiedMediaLink {
  kind: 'media-link';
  mediaId: string;
  userId: string;
}

/** Who reads a media file: a Bearer-authenticated user or the holder of a verified signed link. */
export type MediaReader = AuthUser | VerifiedMediaLink;

export function isVerifiedMediaLink(reader: MediaReader): reader is VerifiedMediaLink {
  return 'kind' in reader && reader.kind === 'media-link';
}

export type MediaLinkCheck =
  { ok: true; link: VerifiedMediaLink } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

const SIG_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EXP_PATTERN = /^\d{1,12}$/;

/**
 * The media-link key is derived from TOKEN_SECRET (HKDF-SHA256 with its own label), so a media link
 * signature can never be mistaken for, or help forge, an access token.
 */
export function deriveMediaLinkKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', tokenSecret, Buffer.alloc(0), 'palaver media links v1', 32));
}

/** HMAC-SHA256 over the media id, user id and expiry; base64url (43 characters). */
export function mediaLinkSignature(key: Buffer, mediaId: string, userId: string, exp: number): string {
  return createHmac('sha256', key).update(`${mediaId}\n${userId}\n${exp}`).digest('base64url');
}

/** Issues and checks signed media links; stateless, so any node holding TOKEN_SECRET accepts them. */
export class MediaLinkSigner {
  private readonly key: Buffer;

  constructor(
    tokenSecret: string,
    private readonly ttlSeconds = MEDIA_LINK_TTL_SECONDS,
  ) {
    this.key = deriveMediaLinkKey(tokenSecret);
  }

  issue(
    mediaId: string,
    userId: string,
    now = Date.now(),
  ): Required<MediaLinkCredentials> & { expiresAt: Date } {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    return {
      u: userId,
      exp: String(exp),
      sig: mediaLinkSignature(this.key, mediaId, userId, exp),
      expiresAt: new Date(exp * 1000),
    };
  }

  check(mediaId: string, creds: MediaLinkCredentials, now = Date.now()): MediaLinkCheck {
    const { u, exp, sig } = creds;
    if (!u || u.length > 128 || !exp || !EXP_PATTERN.test(exp) || !sig || !SIG_PATTERN.test(sig)) {
      return { ok: false, reason: 'malformed' };
    }
    const expected = Buffer.from(mediaLinkSignature(this.key, mediaId, u, Number(exp)));
    const given = Buffer.from(sig);
    // Both are 43 ASCII characters here, so timingSafeEqual's equal-length requirement holds.
    if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'bad-signature' };
    // Expiry is judged only for genuine links: a forged one is told nothing more than 'bad signature'.
    if (Number(exp) * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true, link: { kind: 'media-link', mediaId, userId: u } };
  }
}
