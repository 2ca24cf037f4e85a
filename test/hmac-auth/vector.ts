/** The self-made vector from shared/reference/elevenlabs.md §1.3 (checked there with the JS SDK 2.73.0). */
export const VECTOR = {
  secret: 'wsec_test_secret_0123456789',
  timestamp: 1739537320,
  body: '{"type":"post_call_audio","event_timestamp":1739537319,"data":{"agent_id":"xyz","conversation_id":"abc","full_audio":"SUQzBAAAAAAA"}}',
  header: 't=1739537320,v0=bb0853e2a1cf3161a9127aee9c7aa1f9c36d2a11bcd15769a11bd6f4aea09daa',
} as const;

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
