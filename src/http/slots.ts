import { BusyError } from '../core/errors.js';

/**
 * At most `size` pieces of heavy work at once (exports produced whole); one more is refused at once
 * with a 503 problem (and Retry-After), never queued without bound.
 */
export class Slots {
  private active = 0;

  constructor(
    private readonly size: number,
    private readonly what: string,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) {
      throw new BusyError(`${this.size} ${this.what} already being produced; try again shortly`);
    }
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
    }
  }
}
