import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CreateImageJobDocument,
  JobDocument,
  JobUpdatedDocument,
  type CreateImageJobInput,
  type JobFieldsFragment,
} from '../generated/operations';

export type Job = JobFieldsFragment;

/** A refusal from the server, with its stable code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function unwrap<T>(response: Response<T>): T {
  const error = response.errors?.[0];
  if (error || !response.data) throw new ApiError(error?.message ?? 'The server sent no data.', error?.extensions?.code ?? 'UNKNOWN');
  return response.data;
}

/** Darkroom's API over HTTP and graphql-ws, with the typed documents generated from schema/. */
export class DarkroomApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private headers(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  private async post<T>(body: FormData | string, headers: Record<string, string>): Promise<T> {
    const res = await fetch(new URL('/graphql', this.baseUrl), { method: 'POST', body, headers: { ...headers, ...this.headers() } });
    return unwrap((await res.json()) as Response<T>);
  }

  async query<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    return this.post<R>(JSON.stringify({ query: print(document), variables }), { 'content-type': 'application/json' });
  }

  /** createImageJob as a GraphQL multipart request (the file is the one variable left null). */
  async createJob(file: string, input: Omit<CreateImageJobInput, 'file'>): Promise<Job> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: print(CreateImageJobDocument), variables: { input: { ...input, file: null } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([await readFile(file)]), path.basename(file));
    const data = await this.post<{ createImageJob: Job }>(form, { 'Apollo-Require-Preflight': 'true' });
    return data.createImageJob;
  }

  async job(id: string): Promise<Job | null> {
    return (await this.query(JobDocument, { id })).job;
  }

  /** Calls `onUpdate` for every change until the job ends; resolves with the final state. */
  watch(id: string, onUpdate: (job: Job) => void): Promise<Job> {
    const client = createClient({
      url: new URL('/graphql', this.baseUrl).href.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 3,
      connectionParams: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : undefined,
    });
    return new Promise<Job>((resolve, reject) => {
      let last: Job | null = null;
      client.subscribe(
        { query: print(JobUpdatedDocument), variables: { id } },
        {
          next: (result) => {
            if (result.errors?.length) {
              const code = String(result.errors[0].extensions?.code ?? 'UNKNOWN');
              reject(new ApiError(result.errors[0].message, code));
              return;
            }
            last = (result.data as { jobUpdated: Job }).jobUpdated;
            onUpdate(last);
          },
          error: (err) => reject(err instanceof Error ? err : new ApiError('The subscription failed.', 'UNKNOWN')),
          complete: () => (last ? resolve(last) : reject(new ApiError(`No job ${id}.`, 'NOT_FOUND'))),
        },
      );
    }).finally(() => client.dispose());
  }

  async download(url: string): Promise<Buffer> {
    const res = await fetch(new URL(url, this.baseUrl), { headers: this.headers() });
    if (!res.ok) throw new ApiError(`Downloading the result failed with HTTP ${res.status}.`, 'DOWNLOAD_FAILED');
    return Buffer.from(await res.arrayBuffer());
  }
}
