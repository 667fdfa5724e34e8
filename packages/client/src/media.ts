import { HttpTransport } from './http';

/** Short-lived signed URLs for a media file (GET /api/media/:id/link), usable without a header. */
export interface MediaLink {
  /** Absolute URL of the file, for `<video src>`, `<img src>` or a plain fetch. */
  url: string;
  /** Absolute URL of the thumbnail; null when the file has none (yet). */
  thumbnailUrl: string | null;
  /** ISO time after which the server answers 401; ask for a new link. */
  expiresAt: string;
}

/** Media files: signed links for elements that cannot send an Authorization header. */
export class MediaApi {
  constructor(private readonly http: HttpTransport) {}

  /** Signed URLs for media `id` (needs read access to its room); valid for a few minutes. */
  async link(id: string): Promise<MediaLink> {
    const view = await this.http.request<MediaLink>('GET', `/media/${encodeURIComponent(id)}/link`);
    // The server answers paths from its root (/api/media/…); baseUrl is where that root is reached.
    const absolute = (path: string) => `${this.http.baseUrl}${path}`;
    return {
      url: absolute(view.url),
      thumbnailUrl: view.thumbnailUrl === null ? null : absolute(view.thumbnailUrl),
      expiresAt: view.expiresAt,
    };
  }
}
