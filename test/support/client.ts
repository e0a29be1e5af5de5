import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface JobView {
  id: string;
  status: string;
  progress: number;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  input: { filename: string | null; format: string | null; width: number | null; height: number | null; bytes: number } | null;
  result: { url: string; format: string; contentType: string; width: number; height: number; bytes: number } | null;
  results: { name: string; url: string; format: string; contentType: string; width: number; height: number; bytes: number }[];
  error: { code: string; message: string } | null;
}

export const JOB_FIELDS = `id status progress attempts createdAt updatedAt
  input { filename format width height bytes }
  result { url format contentType width height bytes }
  results { name url format contentType width height bytes }
  error { code message }`;

export interface ImageInfoView {
  filename: string | null;
  format: string | null;
  mediaType: string | null;
  width: number | null;
  height: number | null;
  storedWidth: number | null;
  storedHeight: number | null;
  orientation: number | null;
  colorSpace: string | null;
  channels: number | null;
  bitDepth: number | null;
  hasAlpha: boolean | null;
  frames: number | null;
  iccProfile: string | null;
  exif: { make: string | null; model: string | null; takenAt: string | null; hasGps: boolean } | null;
  dominantColor: string | null;
  bytes: number;
}

export const IMAGE_INFO_FIELDS = `filename format mediaType width height storedWidth storedHeight orientation
  colorSpace channels bitDepth hasAlpha frames iccProfile exif { make model takenAt hasGps } dominantColor bytes`;

interface GraphQLResponse<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

/** A client of one Darkroom web process, speaking the public protocols only. */
export class DarkroomClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  /** The same web process, as a caller with another key (or none). */
  as(apiKey: string | undefined): DarkroomClient {
    return new DarkroomClient(this.baseUrl, apiKey);
  }

  private auth(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  /** createImageJob as a GraphQL multipart request, with the CSRF preflight header. */
  /** `extra` are files for Upload arguments inside the input, each at its variable path (e.g. "input.operations.0.locate.template"). */
  async createJob(
    file: string | { name: string; data: Buffer },
    input: Record<string, unknown> = {},
    extra: { path: string; name: string; data: Buffer }[] = [],
  ): Promise<GraphQLResponse<{ createImageJob: JobView }>> {
    const upload = typeof file === 'string' ? { name: path.basename(file), data: readFileSync(file) } : file;
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation Create($input: CreateImageJobInput!) { createImageJob(input: $input) { ${JOB_FIELDS} } }`,
        variables: { input: { ...input, file: null } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'], ...Object.fromEntries(extra.map((file, i) => [i + 1, [`variables.${file.path}`]])) }));
    form.append('0', new Blob([upload.data]), upload.name);
    extra.forEach((file, i) => form.append(String(i + 1), new Blob([file.data]), file.name));
    const res = await fetch(`${this.baseUrl}/graphql`, { method: 'POST', body: form, headers: { 'Apollo-Require-Preflight': 'true', ...this.auth() } });
    return res.json() as Promise<GraphQLResponse<{ createImageJob: JobView }>>;
  }

  /** Query.imageInfo as a GraphQL multipart request. */
  async imageInfo(file: string | { name: string; data: Buffer }): Promise<GraphQLResponse<{ imageInfo: ImageInfoView }>> {
    const upload = typeof file === 'string' ? { name: path.basename(file), data: readFileSync(file) } : file;
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: `query Info($file: Upload!) { imageInfo(file: $file) { ${IMAGE_INFO_FIELDS} } }`, variables: { file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([upload.data]), upload.name);
    const res = await fetch(`${this.baseUrl}/graphql`, { method: 'POST', body: form, headers: { 'Apollo-Require-Preflight': 'true', ...this.auth() } });
    return res.json() as Promise<GraphQLResponse<{ imageInfo: ImageInfoView }>>;
  }

  async submit(
    file: string | { name: string; data: Buffer },
    input: Record<string, unknown> = {},
    extra: { path: string; name: string; data: Buffer }[] = [],
  ): Promise<JobView> {
    const response = await this.createJob(file, input, extra);
    if (!response.data) throw new Error(`createImageJob failed: ${JSON.stringify(response.errors)}`);
    return response.data.createImageJob;
  }

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.auth() },
      body: JSON.stringify({ query, variables }),
    });
    return res.json() as Promise<GraphQLResponse<T>>;
  }

  async job(id: string): Promise<JobView | null> {
    const response = await this.query<{ job: JobView | null }>(`query ($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.job;
  }

  /** Every jobUpdated event until the server completes the subscription; `onEvent` hears each as it comes. */
  async watch(id: string, timeoutMs = 30000, onEvent: (job: JobView) => void = () => {}): Promise<JobView[]> {
    const client = createClient({
      url: this.baseUrl.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : undefined,
    });
    const events: JobView[] = [];
    const timer = setTimeout(() => void client.dispose(), timeoutMs);
    try {
      const iterator = client.iterate<{ jobUpdated: JobView }>({
        query: `subscription ($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`,
        variables: { id },
      });
      for await (const result of iterator) {
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        events.push(result.data!.jobUpdated);
        onEvent(result.data!.jobUpdated);
      }
    } finally {
      clearTimeout(timer);
      await client.dispose();
    }
    return events;
  }

  /** GET a path on this web process, with this client's key unless `anonymous`. */
  async download(url: string, anonymous = false): Promise<Response> {
    return fetch(`${this.baseUrl}${url}`, { headers: anonymous ? {} : this.auth() });
  }
}
