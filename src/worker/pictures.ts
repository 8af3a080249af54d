/**
 * The Model view's weight pictures of a stored variant beside the variant it
 * came from (`StoredModel.parentId`): the engine computes every number
 * (src/engine/pictures.ts); this only finds the two variants.
 */
import { picturePair } from '../engine/pictures.ts';
import { getModel } from '../store/store.ts';
import { loadModel, type LoadedModel } from './session.ts';
import type { VariantPictures, WeightPictures } from './types.ts';

function side(loaded: LoadedModel, pictures: VariantPictures['pictures']): VariantPictures {
  const { id, name, runtime, parentId, pipeline } = loaded.stored;
  return { id, name, runtime, compressed: parentId !== undefined || (pipeline?.length ?? 0) > 0, pictures };
}

/** Pictures of variant `id`, and of its parent when that is still stored (histograms on shared ranges). */
export async function weightPictures(id: string): Promise<WeightPictures> {
  const loaded = await loadModel(id);
  const parentId = loaded.stored.parentId;
  // A parent deleted since is no error: the variant is pictured alone, and the view says why.
  const parent = parentId && (await getModel(parentId)) ? await loadModel(parentId) : undefined;
  const pair = picturePair(
    { model: loaded.model, int8: loaded.stored.runtime === 'int8' },
    parent ? { model: parent.model, int8: parent.stored.runtime === 'int8' } : undefined,
  );
  return {
    variant: side(loaded, pair.variant),
    ...(parent && pair.parent ? { parent: side(parent, pair.parent) } : {}),
    ...(parentId && !parent ? { parentMissing: true } : {}),
  };
}
