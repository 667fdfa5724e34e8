import { ClipboardEvent, KeyboardEvent, useRef, useState } from 'react';
import { useChat } from '../app/store-context';
import { formatBytes } from '../media/Attachment';

/** The message box: Enter sends, Shift+Enter starts a new line; files upload with a progress bar. */
export function Composer({
  roomId,
  threadRootId,
  placeholder,
  disabledReason,
}: {
  roomId: string;
  threadRootId?: string;
  placeholder: string;
  /** Why this member cannot post here (archived room), if so. */
  disabledReason?: string;
}) {
  const chat = useChat();
  const [text, setText] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const uploads = threadRootId ? [] : chat.uploads.filter((u) => u.roomId === roomId);

  const send = () => {
    const body = text.trim();
    if (!body) return;
    setText('');
    chat.typingActivity(roomId, false);
    void chat.send(roomId, body, threadRootId);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const uploadFiles = (files: FileList | File[]) => {
    for (const file of files) chat.upload(roomId, file);
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    if (threadRootId || event.clipboardData.files.length === 0) return;
    event.preventDefault();
    uploadFiles(event.clipboardData.files);
  };

  if (disabledReason) return <div className="composer disabled">{disabledReason}</div>;

  return (
    <div
      className="composer"
      onDragOver={(e) => {
        if (!threadRootId && e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        if (threadRootId || e.dataTransfer.files.length === 0) return;
        e.preventDefault();
        uploadFiles(e.dataTransfer.files);
      }}
    >
      {uploads.map((upload) => (
        <div key={upload.id} className={`local-upload${upload.error ? ' failed' : ''}`}>
          <span className="upload-name">{upload.name}</span>
          {upload.error ? (
            <span className="field-error" role="alert">
              {upload.error}
            </span>
          ) : (
            <>
              <progress max={upload.total || 1} value={upload.sent} aria-label={`Uploading ${upload.name}`} />
              <span className="hint">
                {formatBytes(upload.sent)} / {formatBytes(upload.total)}
              </span>
            </>
          )}
          <button type="button" className="link" onClick={() => chat.cancelUpload(upload.id)}>
            {upload.error ? 'Dismiss' : 'Cancel'}
          </button>
        </div>
      ))}
      <div className="composer-row">
        {!threadRootId && (
          <>
            <button
              type="button"
              className="attach"
              aria-label="Attach files"
              title="Attach files"
              onClick={() => fileInput.current?.click()}
            >
              +
            </button>
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              aria-label="Files to upload"
              onChange={(e) => {
                if (e.target.files) uploadFiles(e.target.files);
                e.target.value = '';
              }}
            />
          </>
        )}
        <textarea
          aria-label={placeholder}
          placeholder={placeholder}
          value={text}
          rows={Math.min(8, text.split('\n').length)}
          onChange={(e) => {
            setText(e.target.value);
            chat.typingActivity(roomId, e.target.value.trim().length > 0);
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={() => chat.typingActivity(roomId, false)}
        />
        <button type="button" className="primary" onClick={send} disabled={!text.trim()}>
          Send
        </button>
      </div>
    </div>
  );
}
