import type { MediaLink, MessageAttachmentView } from '@palaver/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../app/errors';
import { useChat } from '../app/store-context';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

type Kind = 'image' | 'video' | 'audio' | 'file';

function kindOf(type: string | undefined): Kind {
  if (type?.startsWith('image/')) return 'image';
  if (type?.startsWith('video/')) return 'video';
  if (type?.startsWith('audio/')) return 'audio';
  return 'file';
}

/**
 * Signed links for `<img>`/`<video>` (they cannot send the token), fetched when needed and again when
 * the file's state changes (a thumbnail appears at completion) or an element reports a failure (expired).
 */
function useMediaLink(mediaId: string, wanted: boolean, stateKey: string) {
  const chat = useChat();
  const [link, setLink] = useState<MediaLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!wanted) return;
    let cancelled = false;
    chat.client.media.link(mediaId).then(
      (next) => !cancelled && setLink(next),
      (err: unknown) => !cancelled && setError(describeError(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [chat, mediaId, wanted, stateKey, attempt]);
  const lastRenew = useRef(0);
  const renew = useCallback(() => {
    // An element failing over and over (a file that is gone) must not loop on the link endpoint.
    if (Date.now() - lastRenew.current < 30_000) return;
    lastRenew.current = Date.now();
    setAttempt((n) => n + 1);
  }, []);
  return { link, error, renew };
}

export function Attachment({ attachment }: { attachment: MessageAttachmentView }) {
  const chat = useChat();
  const state = chat.media.get(attachment.mediaId);
  const status = state?.status ?? 'uploading';
  const kind = kindOf(state?.contentType ?? attachment.declaredType);
  const size = state?.declaredSize || attachment.declaredSize;
  // Images wait for their thumbnail (made at completion); video and audio play while they arrive.
  const wanted =
    status !== 'failed' &&
    (kind === 'video' || kind === 'audio' || (kind === 'image' && status === 'complete'));
  const { link, error, renew } = useMediaLink(
    attachment.mediaId,
    wanted,
    `${status}:${state?.thumbnailUrl ?? ''}`,
  );

  const download = async () => {
    try {
      const fresh = await chat.client.media.link(attachment.mediaId);
      const anchor = document.createElement('a');
      anchor.href = fresh.url;
      anchor.download = attachment.name;
      anchor.click();
    } catch (err) {
      chat.notify('error', describeError(err));
    }
  };

  const progress =
    status === 'uploading' ? (
      <div className="upload-progress">
        <progress
          max={size || 1}
          value={state?.committedBytes ?? 0}
          aria-label={`${attachment.name} upload progress`}
        />
        <span className="hint">
          {formatBytes(state?.committedBytes ?? 0)} of {formatBytes(size)}
        </span>
      </div>
    ) : null;

  let body;
  if (status === 'failed') {
    body = (
      <span className="attachment-failed">Upload failed{state?.failure ? `: ${state.failure}` : ''}</span>
    );
  } else if (kind === 'image' && status === 'complete' && link) {
    body = (
      <a href={link.url} target="_blank" rel="noopener noreferrer" className="attachment-image">
        <img
          src={link.thumbnailUrl ?? link.url}
          alt={attachment.name}
          className="thumbnail"
          data-media-id={attachment.mediaId}
          onError={renew}
        />
      </a>
    );
  } else if (kind === 'video' && link) {
    body = <video controls preload="metadata" src={link.url} className="attachment-video" onError={renew} />;
  } else if (kind === 'audio' && link) {
    body = <audio controls preload="metadata" src={link.url} onError={renew} />;
  } else {
    body = null;
  }

  return (
    <div className={`attachment attachment-${kind}`} data-status={status}>
      {body}
      <div className="attachment-meta">
        <button type="button" className="link" onClick={() => void download()} disabled={status === 'failed'}>
          {attachment.name}
        </button>
        <span className="hint"> {formatBytes(size)}</span>
        {error && <span className="field-error"> {error}</span>}
      </div>
      {progress}
    </div>
  );
}
