/** Every Redis key and channel Darkroom uses, under one prefix so deployments and test runs never collide. */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }

  input(id: string): string {
    return `${this.prefix}input:${id}`;
  }

  /** A hash of the extra files a job's operations name (overlays, templates), by index. */
  files(id: string): string {
    return `${this.prefix}files:${id}`;
  }

  result(id: string, attempt: number, variant: number): string {
    return `${this.prefix}result:${id}:${attempt}:${variant}`;
  }

  events(id: string): string {
    return `${this.prefix}events:${id}`;
  }
}
