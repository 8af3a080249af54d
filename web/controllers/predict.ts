import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import type { ModelSummary, Prediction, TestImage } from '../../src/worker/types.ts';

/**
 * The Try-it screen's predictions: a drawing (the worker preprocesses it the
 * MNIST way) or a test image, run through the chosen variants. Keeps what the
 * nets saw, their answers, the true label of a test image and any error.
 */
export class PredictController implements ReactiveController {
  predictions: Prediction[] = [];
  /** The 28×28 grey image the nets saw (0–255). */
  seen: number[] | undefined;
  /** The true label when the input is a test image. */
  label: number | undefined;
  error: string | undefined;
  #seq = 0;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  clear(): void {
    this.#seq++;
    this.predictions = [];
    this.seen = undefined;
    this.label = undefined;
    this.error = undefined;
    this.host.requestUpdate();
  }

  /** Runs `call`; a newer prediction supersedes one still in flight (fast strokes, quick clicks). */
  async #run(call: () => Promise<{ predictions: Prediction[]; seen: number[]; label?: number }>): Promise<void> {
    const seq = ++this.#seq;
    this.error = undefined;
    try {
      const r = await call();
      if (seq !== this.#seq) return;
      this.predictions = r.predictions;
      this.seen = r.seen;
      this.label = r.label;
    } catch (e) {
      if (seq === this.#seq) this.error = (e as Error).message;
    }
    this.host.requestUpdate();
  }

  /** The RGBA drawing (white ink on black) through each variant. */
  drawing(img: ImageData, modelIds: string[]): Promise<void> {
    return this.#run(async () => {
      const r = await lab().predictDrawing({ width: img.width, height: img.height, data: img.data }, modelIds);
      return { predictions: r.predictions, seen: r.input };
    });
  }

  /** A test image through each variant. */
  testImage(t: TestImage, modelIds: string[]): Promise<void> {
    return this.#run(async () => ({ predictions: await lab().predictPixels(t.pixels, modelIds), seen: t.pixels, label: t.label }));
  }
}

/**
 * The variant to compare `aId` with in Try it → activations: its int8 child
 * (the most recent) when it is a float variant, else its parent, else its
 * most recent child of any runtime; undefined when it has no relative.
 */
export function comparisonPartner(models: readonly ModelSummary[], aId: string | undefined): string | undefined {
  const a = models.find((m) => m.id === aId);
  if (!a) return undefined;
  const children = models.filter((m) => m.parentId === a.id);
  const int8Child = a.runtime !== 'int8' ? children.filter((m) => m.runtime === 'int8').at(-1) : undefined;
  if (int8Child) return int8Child.id;
  if (a.parentId && models.some((m) => m.id === a.parentId)) return a.parentId;
  return children.at(-1)?.id;
}
