import type { PluginSettingsView } from '@palaver/client';
import Form from '@rjsf/core';
import type { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { errorField, errorMessage } from '../api/errors';
import { ErrorBanner, Loading } from '../components/status';
import { useConsoleUser } from '../session/session';

type Settings = Record<string, unknown>;

/** `flood.perSeconds` + message → `{ flood: { perSeconds: { __errors: [message] } } }` for rjsf. */
function errorAt(path: string, message: string): ErrorSchema {
  let schema: Record<string, unknown> = { __errors: [message] };
  for (const key of path.split('.').filter(Boolean).reverse()) schema = { [key]: schema };
  return schema as ErrorSchema;
}

/** A plugin's settings page: the form below once the schema and current values are loaded. */
export function PluginSettingsPage() {
  const { id = '' } = useParams();
  const { client } = useConsoleUser();
  const view = useQuery({
    queryKey: ['plugins', id, 'settings'],
    queryFn: () => client.plugins.settings(id),
  });
  return (
    <section aria-labelledby="settings-title">
      <p>
        <Link to="/plugins">← Plugins</Link>
      </p>
      <h1 id="settings-title">Settings of {id}</h1>
      <ErrorBanner error={view.error} />
      {view.isPending && <Loading what="settings" />}
      {view.data && !view.data.schema && <p>This plugin has no settings.</p>}
      {view.data?.schema && <SettingsForm key={view.dataUpdatedAt} pluginId={id} view={view.data} />}
    </section>
  );
}

/**
 * The settings as a form generated from the plugin's JSON Schema (@rjsf/core). The server validates with
 * the same schema and names the failing field; its message is shown next to that field. The form does
 * not validate in the browser: the console's Content-Security-Policy forbids the code generation Ajv
 * needs, and the server's answer is the one that counts.
 */
function SettingsForm({ pluginId, view }: { pluginId: string; view: PluginSettingsView }) {
  const { client } = useConsoleUser();
  const queryClient = useQueryClient();
  const [formData, setFormData] = useState<Settings>(view.values);
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  const save = async (settings: Settings) => {
    setSaving(true);
    setSaved(false);
    setFailure(null);
    setExtraErrors(undefined);
    try {
      await client.plugins.updateSettings(pluginId, settings);
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: ['plugins'], exact: true });
    } catch (err) {
      // The server names e.g. `settings.flood.perSeconds`; the form's paths start below `settings`.
      const field = errorField(err, 'settings.');
      if (field && field !== 'settings') setExtraErrors(errorAt(field, errorMessage(err)));
      else setFailure(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Form
        className="settings-form"
        schema={view.schema as RJSFSchema}
        formData={formData}
        validator={validator}
        noValidate
        noHtml5Validate
        showErrorList={false}
        extraErrors={extraErrors}
        onChange={(event) => {
          setFormData(event.formData as Settings);
          setSaved(false);
        }}
        onSubmit={(event) => void save(event.formData as Settings)}
      >
        <div className="buttons">
          <button type="submit" className="primary" disabled={saving}>
            Save settings
          </button>
          <button
            type="button"
            disabled={saving}
            onClick={() => {
              setExtraErrors(undefined);
              setFormData(view.defaults);
            }}
          >
            Reset to defaults
          </button>
        </div>
      </Form>
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {saved && (
        <p role="status" className="notice">
          Saved. Every node applies the new settings.
        </p>
      )}
    </>
  );
}
