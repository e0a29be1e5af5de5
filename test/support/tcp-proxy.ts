import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP forwarder between one Darkroom process and a real Redis or RabbitMQ,
 * so a test can cut that process off (as a network fault or broker restart
 * would) without disturbing anyone else using the shared servers.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private muted = false;
  private muteMarker: string | null = null;

  private constructor(
    private readonly server: net.Server,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      if (this.muteMarker !== null && chunk.includes(this.muteMarker)) this.muted = true;
    });
    client.pipe(upstream);
    // Replies pass unless muted: then the server's answers are lost on the way, as in a network fault.
    upstream.on('data', (chunk: Buffer) => {
      if (!this.muted) client.write(chunk);
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
  }

  /** Drop every connection and refuse new ones until `restore`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
    this.muted = false;
    this.muteMarker = null;
  }

  /** Keep forwarding requests but drop every reply until `cut`/`restore`: commands run, their answers are lost. */
  mute(): void {
    this.muted = true;
  }

  /** Whether replies are being dropped now. */
  get muting(): boolean {
    return this.muted;
  }

  /** Like `mute`, from the first request that contains `marker` (a command's name, say) on. */
  muteFrom(marker: string): void {
    this.muteMarker = marker;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
