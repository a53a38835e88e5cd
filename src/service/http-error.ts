/** A request the service refuses: the status, a message for people, and the field at fault. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJSON(): { error: string; status: number; field?: string } {
    return { error: this.message, status: this.status, ...(this.field ? { field: this.field } : {}) };
  }
}
