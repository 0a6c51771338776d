/** A fake `fetch` for client tests: records every request and answers from a handler. */
import { Spacelift } from 'spacelift-client';

export interface RecordedRequest {
  url: string;
  authorization: string | null;
  operationName: string | null;
  query: string;
  variables: Record<string, unknown>;
}

export type Answer = Response | { data?: unknown; errors?: unknown[] };
export type Handler = (request: RecordedRequest, index: number) => Answer | Promise<Answer>;

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export function fakeFetch(handler: Handler) {
  const calls: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(init?.body as string) as {
      query: string;
      operationName?: string;
      variables?: Record<string, unknown>;
    };
    const headers = new Headers(init?.headers);
    const request: RecordedRequest = {
      url: input instanceof Request ? input.url : input.toString(),
      authorization: headers.get('authorization'),
      operationName: body.operationName ?? null,
      query: body.query,
      variables: body.variables ?? {},
    };
    calls.push(request);
    const answer = await handler(request, calls.length - 1);
    return answer instanceof Response ? answer : jsonResponse(answer);
  };
  return {
    fetch,
    calls,
    /** Requests other than the login. */
    apiCalls: () => calls.filter((c) => c.operationName !== 'ApiKeyUser'),
    logins: () => calls.filter((c) => c.operationName === 'ApiKeyUser').length,
  };
}

/**
 * A handler that answers the login with `jwt-<n>` (n counts logins) valid for `validFor`
 * seconds, and every other request with `api`.
 */
export function withLogin(api: Handler, validForSeconds = 3600): Handler {
  let logins = 0;
  return (request, index) => {
    if (request.operationName === 'ApiKeyUser') {
      logins += 1;
      return {
        data: {
          apiKeyUser: { jwt: `jwt-${logins}`, validUntil: Math.floor(Date.now() / 1000) + validForSeconds },
        },
      };
    }
    return api(request, index);
  };
}

export const credentials = {
  baseUrl: 'https://acme.app.spacelift.io',
  keyId: 'KEY-ID-01',
  keySecret: 'super-secret-value',
};

/** A client whose API answers come from `answers[operationName]`. */
export function clientAnswering(answers: Record<string, (request: RecordedRequest) => unknown>) {
  const fake = fakeFetch(
    withLogin((request) => {
      const answer = answers[request.operationName ?? ''];
      if (!answer) throw new Error(`unexpected operation ${request.operationName}`);
      return { data: answer(request) };
    }),
  );
  return { fake, client: new Spacelift({ ...credentials, fetch: fake.fetch }) };
}
