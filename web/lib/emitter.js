// A small event emitter that works the same in browsers and Node.
export class Emitter {
  #handlers = new Map();

  // Calls fn(detail) for every `type` event; returns a function that stops it.
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    this.#handlers.get(type)?.delete(fn);
  }

  emit(type, detail) {
    for (const fn of [...(this.#handlers.get(type) ?? [])]) {
      try {
        fn(detail);
      } catch (e) {
        // A failing listener must not break the client or other listeners.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
