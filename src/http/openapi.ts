/**
 * OpenAPI fragments for route `detail`: the request body with its schema and an example, and
 * responses with examples. Elysia's generator leaves the body empty on routes whose parsing a
 * macro takes over (signatures, API keys), so routes state it here, once, with an example.
 */
import type { TSchema } from '@sinclair/typebox';

type Json = Record<string, unknown> | unknown[];

/** A TypeBox schema as plain JSON for the OpenAPI document (its symbols dropped). */
export function plain(schema: TSchema | Json): Json {
  return JSON.parse(JSON.stringify(schema));
}

/** `requestBody` of a JSON route: its schema and an example. */
export function jsonBody(schema: TSchema | Json, example: Json, description?: string) {
  return {
    requestBody: {
      required: true,
      description,
      content: { 'application/json': { schema: plain(schema), example } },
    },
  };
}

/** `responses` with one JSON example per status, e.g. `{ 200: ['Found', {...}], 401: ['Invalid key', {...}] }`. */
export function jsonResponses(byStatus: Record<number, [description: string, example: Json]>) {
  return {
    responses: Object.fromEntries(
      Object.entries(byStatus).map(([status, [description, example]]) => [
        status,
        { description, content: { 'application/json': { example } } },
      ]),
    ),
  };
}

/** The `{"detail": …}` error body, for examples. */
export const detail = (text: string) => ({ detail: text });
