/** Every Redis key and channel Darkroom uses, under one prefix so deployments and test runs never collide. */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }

  /** A hash: field "input" holds the upload, "file:<n>" the extra files its operations name. */
  input(id: string): string {
    return `${this.prefix}input:${id}`;
  }

  result(id: string, attempt: number, variant: number): string {
    return `${this.prefix}result:${id}:${attempt}:${variant}`;
  }

  events(id: string): string {
    return `${this.prefix}events:${id}`;
  }
}
