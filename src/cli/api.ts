import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CreateImageJobDocument,
  ImageInfoDocument,
  JobDocument,
  JobUpdatedDocument,
  type CreateImageJobInput,
  type ImageInfoQuery,
  type JobFieldsFragment,
} from '../generated/operations';

export type Job = JobFieldsFragment;
export type ImageInfo = ImageInfoQuery['imageInfo'];

/** A local file sent for an Upload argument, at its path inside CreateImageJobInput (e.g. operations.2.watermark.image). */
export interface FileArgument {
  path: string;
  file: string;
}

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

  /** fetch, failing with which server could not be reached and why, where fetch itself says only "fetch failed". */
  private async request(url: URL, init: RequestInit): Promise<globalThis.Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new ApiError(`Could not reach Darkroom at ${url.origin} (${why}); check --url or DARKROOM_URL.`, 'UNREACHABLE');
    }
  }

  private async post<T>(body: FormData | string, headers: Record<string, string>): Promise<T> {
    const url = new URL('/graphql', this.baseUrl);
    const res = await this.request(url, { method: 'POST', body, headers: { ...headers, ...this.headers() } });
    // Darkroom answers JSON even when it refuses; anything else came from another server or a proxy.
    const type = res.headers.get('content-type') ?? 'no content type';
    if (!/\bjson\b/.test(type)) {
      throw new ApiError(`${url.href} answered HTTP ${res.status} with ${type}, not GraphQL: is --url a Darkroom web process?`, 'BAD_RESPONSE');
    }
    return unwrap((await res.json()) as Response<T>);
  }

  async query<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    return this.post<R>(JSON.stringify({ query: print(document), variables }), { 'content-type': 'application/json' });
  }

  /** A GraphQL multipart request: each file goes where its variables path says, the value there left null. */
  private async multipart<T>(query: string, variables: Record<string, unknown>, files: Array<{ path: string; file: string }>): Promise<T> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
    for (const [i, f] of files.entries()) form.append(String(i), new Blob([await readFile(f.file)]), path.basename(f.file));
    return this.post<T>(form, { 'Apollo-Require-Preflight': 'true' });
  }

  /** createImageJob: the image is file 0, then one file per Upload argument of the operations. */
  async createJob(file: string, input: Omit<CreateImageJobInput, 'file'>, files: FileArgument[] = []): Promise<Job> {
    const data = await this.multipart<{ createImageJob: Job }>(print(CreateImageJobDocument), { input: { ...input, file: null } }, [
      { path: 'variables.input.file', file },
      ...files.map((f) => ({ path: `variables.input.${f.path}`, file: f.file })),
    ]);
    return data.createImageJob;
  }

  async imageInfo(file: string): Promise<ImageInfo> {
    const data = await this.multipart<ImageInfoQuery>(print(ImageInfoDocument), { file: null }, [{ path: 'variables.file', file }]);
    return data.imageInfo;
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
    const res = await this.request(new URL(url, this.baseUrl), { headers: this.headers() });
    if (!res.ok) throw new ApiError(`Downloading the result failed with HTTP ${res.status}.`, 'DOWNLOAD_FAILED');
    return Buffer.from(await res.arrayBuffer());
  }
}
