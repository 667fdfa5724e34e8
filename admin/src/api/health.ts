/** GET /health/ready (terminus): 200 with per-dependency details, or 503 with the error body. */
export interface ReadinessView {
  ok: boolean;
  status: string;
  /** Per dependency (mongo, redis): `{ status: 'up' | 'down', ...figures }`. */
  details: Record<string, Record<string, unknown>>;
  message?: string;
}

export async function readiness(): Promise<ReadinessView> {
  const res = await fetch('/health/ready', { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as {
    status?: string;
    details?: ReadinessView['details'];
    error?: { message?: string };
  };
  if (res.ok) return { ok: true, status: body.status ?? 'ok', details: body.details ?? {} };
  return {
    ok: false,
    status: 'unavailable',
    details: body.details ?? {},
    message: body.error?.message ?? `HTTP ${res.status}`,
  };
}
