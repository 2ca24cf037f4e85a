/**
 * The hmacAuth section: the ElevenLabs webhook secrets, the timestamp window and the body size
 * limits per webhook type (FR-1, SEC-1, CONF-2.3). Env names follow Appendix A of the 004
 * requirements where one exists.
 */
import { type Static, Type } from '@sinclair/typebox';

const MB = 1024 * 1024;

const bytes = (defaultBytes: number, env: string, description: string) =>
  Type.Integer({ default: defaultBytes, minimum: 0, env, description });

export const HmacAuthConfig = Type.Object(
  {
    secrets: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      env: 'ELEVENLABS_WEBHOOK_SECRET',
      secret: true,
      description:
        'Webhook signing secrets (comma-separated). Any one passing is enough, so a secret can be rotated without downtime. Empty: signed routes answer 503.',
    }),
    toleranceSeconds: Type.Integer({
      default: 1800,
      minimum: 0,
      env: 'WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS',
      description: 'Oldest accepted signature timestamp, in seconds before now (FR-1.4: 30 minutes).',
    }),
    futureToleranceSeconds: Type.Integer({
      default: 300,
      minimum: 0,
      env: 'WEBHOOK_TIMESTAMP_FUTURE_TOLERANCE_SECONDS',
      description: 'Newest accepted signature timestamp, in seconds after now (clock skew allowance).',
    }),
    maxPayloadSize: bytes(10 * MB, 'MAX_WEBHOOK_PAYLOAD_SIZE', 'Default body limit in bytes (CONF-2.3).'),
    maxTranscriptionPayloadSize: bytes(
      10 * MB,
      'MAX_TRANSCRIPTION_PAYLOAD_SIZE',
      'Body limit in bytes of post_call_transcription events.',
    ),
    maxAudioPayloadSize: bytes(
      50 * MB,
      'MAX_AUDIO_PAYLOAD_SIZE',
      'Body limit in bytes of post_call_audio events (base64 audio).',
    ),
    maxFailurePayloadSize: bytes(
      5 * MB,
      'MAX_FAILURE_PAYLOAD_SIZE',
      'Body limit in bytes of call_initiation_failure events.',
    ),
  },
  { default: {}, additionalProperties: false },
);

export type HmacAuthConfig = Static<typeof HmacAuthConfig>;
