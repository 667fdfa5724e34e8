import { IsObject } from 'class-validator';

export class UpdatePluginSettingsDto {
  /** The whole settings object; keys left out take their defaults. Checked against the plugin's schema. */
  @IsObject() settings!: Record<string, unknown>;
}
