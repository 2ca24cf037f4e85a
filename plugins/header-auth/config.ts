/**
 * The headerAuth section: the API keys of the tool and client-data webhooks and of the admin routes
 * (SEC-2, validated against configured keys rather than only checking that a header is present).
 */
import { type Static, Type } from '@sinclair/typebox';

const keyList = (env: string, what: string) =>
  Type.Array(Type.String({ minLength: 1 }), {
    default: [],
    env,
    secret: true,
    description: `API keys of ${what} (comma-separated), each \`key\` or \`name:key\` (unnamed: \`<scope>-<8 hex of its SHA-256>\`). The name, never the key, is the caller: \`caller\` on the access log line, and throttle's per-key rate-limit bucket. Empty: those routes answer 503.`,
  });

export const HeaderAuthConfig = Type.Object(
  {
    webhookKeys: keyList('WEBHOOK_API_KEYS', 'the client-data and search-data (tool) webhooks'),
    adminKeys: keyList('ADMIN_API_KEYS', 'the admin routes'),
    realm: Type.String({
      default: 'elaoms',
      minLength: 1,
      pattern: '^[^"\\\\]+$',
      env: 'HEADER_AUTH_REALM',
      description: 'Realm named in the WWW-Authenticate header of a 401.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type HeaderAuthConfig = Static<typeof HeaderAuthConfig>;
