import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  /** Destructive actions get a red button. */
  danger?: boolean;
  /** An optional free-text field (e.g. a ban reason) passed to `action`. */
  input?: { label: string; maxLength: number };
  /** Runs on confirm; a rejection is shown in the dialog and keeps it open. */
  action: (input: string) => Promise<unknown>;
}

const ConfirmContext = createContext<(request: ConfirmRequest) => void>(() => undefined);

/** `const confirm = useConfirm(); confirm({ title, body, confirmLabel, action })`. */
export function useConfirm(): (request: ConfirmRequest) => void {
  return useContext(ConfirmContext);
}

/** One modal <dialog> for every confirmation in the console (ban, delete, archive, role change). */
export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (request && !el.open) el.showModal();
    if (!request && el.open) el.close();
  }, [request]);

  const open = useCallback((next: ConfirmRequest) => {
    setError(null);
    setBusy(false);
    setText('');
    setRequest(next);
  }, []);

  const confirm = async () => {
    if (!request) return;
    setBusy(true);
    setError(null);
    try {
      await request.action(text.trim());
      setRequest(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmContext.Provider value={open}>
      {children}
      <dialog
        ref={dialog}
        className="confirm"
        aria-labelledby="confirm-title"
        onClose={() => setRequest(null)}
      >
        {request && (
          <form
            method="dialog"
            onSubmit={(event) => {
              event.preventDefault();
              void confirm();
            }}
          >
            <h2 id="confirm-title">{request.title}</h2>
            <div className="confirm-body">{request.body}</div>
            {request.input && (
              <label>
                {request.input.label}
                <input
                  value={text}
                  maxLength={request.input.maxLength}
                  onChange={(event) => setText(event.target.value)}
                />
              </label>
            )}
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <div className="buttons">
              <button type="button" onClick={() => setRequest(null)} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className={request.danger ? 'danger' : 'primary'} disabled={busy}>
                {request.confirmLabel}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </ConfirmContext.Provider>
  );
}
