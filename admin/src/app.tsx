import { lazy, Suspense } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { Loading } from './components/status';
import { LoginPage } from './pages/login-page';
import { ModerationPage } from './pages/moderation-page';
import { PluginsPage } from './pages/plugins-page';
import { RoomsPage } from './pages/rooms-page';
import { UsersPage } from './pages/users-page';
import { useSession } from './session/session';

// The chart library and the JSON-Schema form library are most of the bundle: loaded with their page.
const OverviewPage = lazy(() => import('./pages/overview-page').then((m) => ({ default: m.OverviewPage })));
const PluginSettingsPage = lazy(() =>
  import('./pages/plugin-settings-page').then((m) => ({ default: m.PluginSettingsPage })),
);

/** Pages by role: the API refuses the rest anyway; the console does not offer what would be refused. */
const PAGES = [
  { path: 'overview', label: 'Overview', admin: false },
  { path: 'users', label: 'Users', admin: false },
  { path: 'rooms', label: 'Rooms', admin: false },
  { path: 'moderation', label: 'Moderation', admin: false },
  { path: 'plugins', label: 'Plugins', admin: true },
] as const;

export function App() {
  const { user, ready, logout } = useSession();
  if (!ready) return <p className="muted centered">Loading…</p>;
  if (!user) return <LoginPage />;
  const isAdmin = user.role === 'admin';
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Palaver admin</span>
        <span className="whoami">
          @{user.username} <span className="role">{user.role}</span>
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav className="sidebar" aria-label="Console">
        {PAGES.filter((p) => isAdmin || !p.admin).map((p) => (
          <NavLink key={p.path} to={`/${p.path}`}>
            {p.label}
          </NavLink>
        ))}
      </nav>
      <main className="content">
        <Suspense fallback={<Loading what="the page" />}>
          <Routes>
            <Route path="/" element={<Navigate to="/overview" replace />} />
            <Route path="/overview" element={<OverviewPage />} />
            <Route path="/users" element={<UsersPage />} />
            <Route path="/rooms" element={<RoomsPage />} />
            <Route path="/moderation" element={<ModerationPage />} />
            {isAdmin && <Route path="/plugins" element={<PluginsPage />} />}
            {isAdmin && <Route path="/plugins/:id" element={<PluginSettingsPage />} />}
            <Route path="*" element={<p>This page does not exist or your role cannot open it.</p>} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}
