/** Every Redis key and channel Darkroom uses, under one prefix so deployments and test runs never collide. */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  job(id: string): string {
    return `${this.prefix}job:${id}`;
  }

  input(id: string): string {
    return `${this.prefix}input:${id}`;
  }

  result(id: string, attempt: number): string {
    return `${this.prefix}result:${id}:${attempt}`;
  }

  events(id: string): string {
    return `${this.prefix}events:${id}`;
  }
}
