"""The curated mutations of `make mutants` (tools/mutants.py): small plausible bugs, one at a time.

Each entry: the file, its exact original snippet (it must occur once), the replacement, the test paths that
should catch it (the fewest that do), and a one-line description. To add one, copy an entry, paste a snippet
that occurs once in the file, and name the tests that ought to fail; run `tools/mutants.py -k WORD` on it.
A snippet that no longer matches (the code changed) is reported as an error, never as killed: update it.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mutation:
    file: str
    original: str
    replacement: str
    tests: tuple
    description: str


L = "keras_vit/layers/"
G_LAYERS = "tests/layers/test_mutation_guards_layers.py"
G_MODELS = "tests/models/test_mutation_guards_models.py"
G_FEWSHOT = "tests/test_mutation_guards_fewshot.py"
G_ANALYSIS = "tests/analysis/test_mutation_guards_analysis.py"
G_TRAINING = "tests/training/test_mutation_guards_training.py"
G_SERVING = "tests/deploy/test_mutation_guards_serving.py"

M = Mutation
MUTATIONS = [
    # --- transformer block: numerics, residuals, stochastic depth
    M(
        L + "transformer_block.py",
        'approximate=self.gelu == "tanh"',
        'approximate=self.gelu != "tanh"',
        ("tests/models/test_numerics.py",),
        "GELU form swapped (tanh <-> erf)",
    ),
    M(
        L + "transformer_block.py",
        'epsilon=layer_norm_epsilon, name="LayerNorm_0"',
        'epsilon=1e-6, name="LayerNorm_0"',
        (G_LAYERS,),
        "LayerNorm_0 ignores layer_norm_epsilon (fixed 1e-6)",
    ),
    M(
        L + "transformer_block.py",
        'epsilon=layer_norm_epsilon, name="LayerNorm_2"',
        'epsilon=1e-6, name="LayerNorm_2"',
        (G_LAYERS,),
        "LayerNorm_2 ignores layer_norm_epsilon (fixed 1e-6)",
    ),
    M(
        L + "transformer_block.py",
        'epsilon=layer_norm_epsilon, name="LayerNorm_2"',
        'name="LayerNorm_2"',
        (G_LAYERS,),
        "LayerNorm_2 with Keras' default epsilon 1e-3",
    ),
    M(
        L + "transformer_block.py",
        "return ops.where(mask, x / keep, ops.zeros_like(x))",
        "return ops.where(mask, x, ops.zeros_like(x))",
        (G_LAYERS,),
        "stochastic depth without the 1/keep_prob rescaling",
    ),
    M(
        L + "transformer_block.py",
        "mask = keras.random.uniform(shape, seed=self.seed_generator) < keep",
        "mask = keras.random.uniform(shape, seed=self.seed_generator) < self.drop_path",
        (G_LAYERS,),
        "stochastic depth keeps with probability drop_path instead of 1 - drop_path",
    ),
    M(
        L + "transformer_block.py",
        "shape = (ops.shape(x)[0], 1, 1)",
        "shape = ops.shape(x)",
        ("tests/layers/test_layers.py",),
        "stochastic depth drops elements, not whole samples",
    ),
    M(
        L + "transformer_block.py",
        "y = self._mlp(self.norm2(x), training)",
        "y = self._mlp(self.norm1(x), training)",
        (G_LAYERS,),
        "MLP branch normalised by LayerNorm_0",
    ),
    M(
        L + "transformer_block.py",
        "out = x + self._drop_path(self._scaled(y, 1), training)",
        "out = inputs + self._drop_path(self._scaled(y, 1), training)",
        ("tests/layers/test_layers.py",),
        "second residual added to the block input instead of the attention output",
    ),
    # --- attention
    M(
        L + "attention.py",
        "scale = 1.0 / ops.sqrt(ops.cast(head_dim, query.dtype))",
        "scale = 1.0 / ops.cast(head_dim, query.dtype)",
        ("tests/layers/test_layers.py",),
        "attention scaled by 1/d, not 1/sqrt(d)",
    ),
    M(
        L + "attention.py",
        'ops.softmax(ops.cast(logits, "float32"), axis=-1)',
        'ops.softmax(ops.cast(logits, "float32"), axis=-2)',
        ("tests/layers/test_layers.py",),
        "softmax over the queries instead of the keys",
    ),
    M(
        L + "attention.py",
        'logits = ops.einsum("bqhd,bkhd->bhqk", query * scale, key)',
        'logits = ops.einsum("bqhd,bkhd->bhkq", query * scale, key)',
        ("tests/layers/test_layers.py",),
        "attention logits transposed (keys x queries)",
    ),
    M(
        L + "attention.py",
        'out = ops.einsum("bhqk,bkhd->bqhd", dropped, value)',
        'out = ops.einsum("bhkq,bkhd->bqhd", dropped, value)',
        ("tests/layers/test_layers.py",),
        "attention weights applied transposed",
    ),
    M(
        L + "multi_head_attention.py",
        "offsets = np.arange(tokens)[None, :] - np.arange(tokens)[:, None] + tokens - 1",
        "offsets = np.arange(tokens)[:, None] - np.arange(tokens)[None, :] + tokens - 1",
        ("tests/layers/test_relative_attention.py",),
        "relative offsets i - j instead of j - i",
    ),
    M(
        L + "multi_head_attention.py",
        "scale = 1.0 / np.sqrt(q.shape[-1])",
        "scale = 1.0",
        ("tests/layers/test_relative_attention.py",),
        "relative-position logits not scaled by 1/sqrt(d)",
    ),
    # --- tokens, pooling, patches
    M(
        L + "class_token.py",
        "before, after = inputs[:, : self.position], inputs[:, self.position :]",
        "before, after = inputs[:, : self.position + 1], inputs[:, self.position + 1 :]",
        ("tests/layers/test_layers.py",),
        "prefix tokens inserted one position late",
    ),
    M(
        L + "token_pooling.py",
        "return ops.mean(inputs[:, self.num_prefix_tokens :], axis=1)",
        "return ops.mean(inputs, axis=1)",
        (G_MODELS + "::test_avg_pooling_of_a_class_token_model_is_the_mean_of_the_patch_tokens",),
        'pooling="avg" averages the class token too',
    ),
    M(
        L + "token_pooling.py",
        "return ops.mean(inputs[:, self.num_prefix_tokens :], axis=1)",
        "return ops.mean(inputs[:, self.num_prefix_tokens + 1 :], axis=1)",
        (G_MODELS + "::test_avg_pooling_of_a_class_token_model_is_the_mean_of_the_patch_tokens",),
        'pooling="avg" skips the first patch token too',
    ),
    M(
        L + "patch_encoder.py",
        "return ops.reshape(grid, (shape[0], -1, self.hidden_size))",
        "return ops.reshape(ops.transpose(grid, (0, 2, 1, 3)), (shape[0], -1, self.hidden_size))",
        ("tests/layers/test_layers.py",),
        "patch tokens in column-major order",
    ),
    # --- position embeddings and their resampling
    M(
        L + "position_embedding.py",
        "grid = resample_grid(grid, target, self.interpolation)",
        "grid = resample_grid(grid, target)",
        (G_MODELS + "::test_dynamic_image_size_resamples_bicubic_as_torch",),
        "dynamic_image_size ignores posemb_interpolation (always linear)",
    ),
    M(
        L + "position_embedding.py",
        "grid = ops.reshape(self.pos_embedding[0, self.num_prefix_tokens :], (gh, gw, hidden))",
        "grid = ops.reshape(self.pos_embedding[0, : gh * gw], (gh, gw, hidden))",
        ("tests/models/test_vit_reference.py",),
        "dynamic resampling takes the class-token row as the first grid row",
    ),
    M(
        "keras_vit/weights/load.py",
        "value = fit_posemb(value, layer.num_prefix_tokens, layer.grid_size, interpolation)",
        "value = fit_posemb(value, layer.num_prefix_tokens, layer.grid_size)",
        (G_MODELS + "::test_loading_at_another_size_resamples_bicubic_as_torch",),
        "checkpoint loading at another size ignores posemb_interpolation",
    ),
    M(
        L + "posemb_resample.py",
        'src = (ops.cast(ops.arange(new), "float32") + 0.5) * (old / ops.cast(new, "float32")) - 0.5',
        'src = ops.cast(ops.arange(new), "float32") * (old / ops.cast(new, "float32"))',
        ("tests/layers/test_posemb_resample.py",),
        "bicubic without half-pixel centres",
    ),
    M(
        L + "posemb_resample.py",
        "def _cubic(t, a=-0.75):",
        "def _cubic(t, a=-0.5):",
        ("tests/layers/test_posemb_resample.py",),
        "bicubic kernel a = -0.5 (Keys) instead of torch's -0.75",
    ),
    M(
        L + "posemb_resample.py",
        'clamped = ops.cast(ops.clip(index, 0, old - 1), "int32")',
        'clamped = ops.cast(ops.clip(index, 0, old), "int32")',
        ("tests/layers/test_posemb_resample.py",),
        "bicubic edge taps dropped instead of clamped",
    ),
    M(
        L + "posemb_resample.py",
        'step = (old - 1) / ops.maximum(ops.cast(new, "float32") - 1.0, 1.0)',
        'step = old / ops.maximum(ops.cast(new, "float32"), 1.0)',
        ("tests/layers/test_posemb_resample.py",),
        "linear resampling not corner-aligned",
    ),
    M(
        L + "posemb_resample.py",
        "width = ops.maximum(scale, 1.0)",
        "width = ops.maximum(scale, 0.0) * 0.0 + 1.0",
        ("tests/layers/test_posemb_resample.py",),
        "antialiased bicubic kernel not widened when downscaling",
    ),
    M(
        L + "posemb_resample.py",
        "return ops.concatenate([ops.sin(xs), ops.cos(xs), ops.sin(ys), ops.cos(ys)], axis=-1)",
        "return ops.concatenate([ops.sin(ys), ops.cos(ys), ops.sin(xs), ops.cos(xs)], axis=-1)",
        ("tests/layers/test_posemb_resample.py",),
        "sincos2d with rows and columns swapped",
    ),
    M(
        "keras_vit/weights/posemb.py",
        "value = np.concatenate([np.zeros_like(value[:, :num_prefix_tokens]), value], axis=1)",
        "value = np.concatenate([value[:, :num_prefix_tokens], value], axis=1)",
        ("tests/models/test_vit_reference.py",),
        "a posemb without a class row gets a copy of the first patch row, not zeros",
    ),
    # --- ResNet stem (hybrid)
    M(
        L + "std_conv.py",
        "return w / (ops.sqrt(variance) + self.epsilon)",
        "return w / ops.sqrt(variance + self.epsilon)",
        ("tests/layers/test_std_conv.py",),
        "weight standardisation epsilon added to the variance",
    ),
    M(
        L + "std_conv.py",
        "mean = ops.mean(w, axis=(0, 1, 2), keepdims=True)",
        "mean = ops.mean(w, axis=(0, 1), keepdims=True)",
        ("tests/layers/test_std_conv.py",),
        "weight standardisation per input channel",
    ),
    M(
        L + "resnet_unit.py",
        "groups, epsilon=epsilon, gamma_initializer=gamma_initializer",
        "groups, gamma_initializer=gamma_initializer",
        (G_LAYERS,),
        "unit GroupNorms with Keras' default epsilon 1e-3",
    ),
    M(
        L + "resnet_unit.py",
        'self.groups, epsilon=self.epsilon, name="gn_proj"',
        'self.groups, name="gn_proj"',
        (G_LAYERS,),
        "gn_proj with Keras' default epsilon 1e-3",
    ),
    M(
        L + "resnet_unit.py",
        "return ops.relu(shortcut + y)",
        "return shortcut + y",
        ("tests/layers/test_resnet_unit.py",),
        "no ReLU after the residual sum",
    ),
    M(
        L + "resnet_unit.py",
        "return 4 * 2 ** max(len(resnet_blocks) - 1, 0)",
        "return 4 * 2 ** len(resnet_blocks)",
        ("tests/layers/test_resnet_unit.py",),
        "ResNet stride counts the first stage",
    ),
    M(
        "keras_vit/models/hybrid.py",
        'keras.layers.GroupNormalization(32, epsilon=1e-6, name="gn_root")',
        'keras.layers.GroupNormalization(32, name="gn_root")',
        (G_MODELS + "::test_gn_root_uses_epsilon_1e6_on_low_amplitude_images",),
        "gn_root with Keras' default epsilon 1e-3",
    ),
    # --- models
    M(
        "keras_vit/models/vit.py",
        'keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, name="encoder_norm")',
        'keras.layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")',
        (G_MODELS + "::test_encoder_norm_uses_the_model_epsilon_on_low_amplitude_input",),
        "encoder_norm ignores layer_norm_epsilon (fixed 1e-6)",
    ),
    M(
        "keras_vit/models/vit.py",
        'keras.layers.Dense(representation_size, activation="tanh", name="pre_logits")',
        'keras.layers.Dense(representation_size, name="pre_logits")',
        ("tests/models/test_vit_reference.py::test_logits_match_numpy_reference",),
        "pre_logits without its tanh",
    ),
    # --- checkpoint name mapping
    M(
        "keras_vit/weights/npz.py",
        'return {"scale": layer.gamma, "bias": layer.beta}',
        'return {"scale": layer.beta, "bias": layer.gamma}',
        ("tests/models/test_vit_reference.py",),
        "LayerNorm scale and bias swapped in the checkpoint table",
    ),
    M(
        "keras_vit/weights/npz.py",
        # The checkpoint's gn1 read into the unit's gn2 and back. (Swapping the names inside the pairs alone would be
        # equivalent: each name picks both the checkpoint key and the layer attribute.)
        'table.update({f"{prefix}/{norm}/{k}": v for k, v in _norm(getattr(unit, norm)).items()})\n    return table\n\n\ndef _preact',
        'table.update({f"{prefix}/{norm}/{k}": v for k, v in _norm(getattr(unit, {"gn1": "gn2", "gn2": "gn1"}.get(norm, norm))).items()})\n    return table\n\n\ndef _preact',
        ("tests/models/test_hybrid.py",),
        "gn1 and gn2 swapped in the hybrid unit's checkpoint table",
    ),
    # --- few-shot
    M(
        "keras_vit/fewshot.py",
        "BIAS_CONSTANT = 100.0",
        "BIAS_CONSTANT = 1.0",
        (G_FEWSHOT,),
        "few-shot bias column 1, not 100",
    ),
    M(
        "keras_vit/fewshot.py",
        "std = x.std(axis=0, keepdims=True) + 1e-5",
        "std = x.std(axis=0, keepdims=True) + 1e-3",
        (G_FEWSHOT,),
        "few-shot whitening epsilon 1e-3",
    ),
    M(
        "keras_vit/fewshot.py",
        "targets = 2.0 * np.eye(num_classes)[np.asarray(y, int)] - 1.0",
        "targets = np.eye(num_classes)[np.asarray(y, int)]",
        (G_FEWSHOT,),
        "few-shot targets one-hot instead of 2*onehot-1",
    ),
    M(
        "keras_vit/fewshot.py",
        "if best_val is None or accuracy > best_val:",
        "if best_val is None or accuracy < best_val:",
        (G_FEWSHOT,),
        "few-shot L2 chosen by the worst validation accuracy",
    ),
    M(
        "keras_vit/fewshot.py",
        "    _, predict = solve(best)\n",
        "    _, predict = solve(l2_regs[0])\n",
        (G_FEWSHOT,),
        "few-shot test accuracy at the first L2, not the chosen one",
    ),
    M(
        "keras_vit/fewshot.py",
        "w = (lhs / (eigs + l2)[None, :]) @ rhs",
        "w = (lhs / (eigs + l2 * l2)[None, :]) @ rhs",
        ("tests/test_fewshot.py",),
        "ridge solved with l2 squared",
    ),
    M(
        "keras_vit/fewshot.py",
        "picked = [rng.permutation(np.flatnonzero(labels == c))[:shots] for c in range(num_classes)]",
        "picked = [rng.permutation(np.flatnonzero(labels == c))[: shots + 1] for c in range(num_classes)]",
        (G_FEWSHOT,),
        "one shot too many per class",
    ),
    # --- analysis
    M(
        "keras_vit/analysis/rollout.py",
        "result = a if result is None else a @ result",
        "result = a if result is None else result @ a",
        (G_ANALYSIS,),
        "rollout multiplies the last layer on the right",
    ),
    M(
        "keras_vit/analysis/rollout.py",
        "a = a / a.sum(-1, keepdims=True)",
        "a = a / a.sum(-2, keepdims=True)",
        (G_ANALYSIS,),
        "rollout renormalises columns, not rows",
    ),
    M(
        "keras_vit/analysis/rollout.py",
        "a = a + np.eye(a.shape[-1])",
        "a = a + 0.5 * np.eye(a.shape[-1])",
        (G_ANALYSIS,),
        "rollout residual identity weighted 0.5",
    ),
    M(
        "keras_vit/analysis/rollout.py",
        "maps = r[:, 0, num_prefix:] if num_prefix",
        "maps = r[:, num_prefix:, 0] if num_prefix",
        (G_ANALYSIS,),
        "rollout map read from the class token's column",
    ),
    M(
        "keras_vit/analysis/rollout.py",
        'a = np.asarray(layer, dtype="float64").mean(axis=1)',
        'a = np.asarray(layer, dtype="float64").max(axis=1)',
        ("tests/analysis/test_analysis_rollout.py",),
        "rollout takes the max over heads",
    ),
    M(
        "keras_vit/analysis/distance.py",
        "pos = np.stack([rows.ravel() * cell_px[0], cols.ravel() * cell_px[1]], axis=-1)",
        "pos = np.stack([rows.ravel() * cell_px[1], cols.ravel() * cell_px[0]], axis=-1)",
        (G_ANALYSIS,),
        "attention distance with the cell height and width swapped",
    ),
    M(
        "keras_vit/analysis/distance.py",
        'a = a / np.maximum(a.sum(-1, keepdims=True), np.finfo("float64").tiny)',
        "a = a",
        ("tests/analysis/test_analysis_distance.py",),
        "attention distance without renormalising past the class token",
    ),
    M(
        "keras_vit/analysis/plots.py",
        "depth = np.repeat(np.arange(1, layers + 1), heads)",
        "depth = np.tile(np.arange(1, layers + 1), heads)",
        (G_ANALYSIS,),
        "attention-distance dots at the wrong depth",
    ),
    M(
        "keras_vit/analysis/plots.py",
        "    ax.set_xlim(0.5, layers + 0.5)\n    ax.set_ylim(0, 1.1 * np.nanmax(values)",
        "    ax.set_xlim(0.5, layers - 0.5)\n    ax.set_ylim(0, 1.1 * np.nanmax(values)",
        (G_ANALYSIS,),
        "attention-distance x axis cuts off the last layer",
    ),
    M(
        "keras_vit/analysis/plots.py",
        "layers, top = max(layers, n), max(top, np.nanmax(values))",
        "layers, top = n, np.nanmax(values)",
        (G_ANALYSIS,),
        "comparison plot's axes fit only the second model",
    ),
    M(
        "keras_vit/analysis/plots.py",
        "j * (gw + 1) : j * (gw + 1) + gw] = similarity[i, j]",
        "j * (gw + 1) : j * (gw + 1) + gw] = similarity[j, i]",
        (G_ANALYSIS,),
        "posemb similarity tiles transposed",
    ),
    M(
        "keras_vit/analysis/posemb_similarity.py",
        "flat = flat / np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-12)",
        "flat = flat / np.maximum(np.linalg.norm(flat, keepdims=True), 1e-12)",
        ("tests/analysis/test_posemb_similarity.py",),
        "posemb similarity normalised by the global norm, not per patch",
    ),
    # --- training
    M(
        "keras_vit/training/train.py",
        "label_smoothing=config.label_smoothing",
        "label_smoothing=0.0",
        (G_TRAINING,),
        "label smoothing switched off",
    ),
    M(
        "keras_vit/training/train.py",
        'var_list=[v for v in model.trainable_variables if not v.path.endswith("kernel")]',
        'var_list=[v for v in model.trainable_variables if v.path.endswith("bias")]',
        (G_TRAINING,),
        "weight decay excludes only biases (norms, posemb, class token decayed)",
    ),
    M(
        "keras_vit/training/train.py",
        '    if getattr(optimizer, "weight_decay", None):\n        # big_vision',
        "    if False:\n        # big_vision",
        (G_TRAINING,),
        "weight-decay exclusions dropped (everything decayed)",
    ),
    M(
        "keras_vit/training/recipes.py",
        "warm = peak * step / ops.maximum(warmup, 1.0)",
        "warm = peak * (step + 1) / ops.maximum(warmup, 1.0)",
        ("tests/training/test_recipes.py",),
        "warm-up one step ahead",
    ),
    M(
        "keras_vit/training/recipes.py",
        "decayed = end + (peak - end) * 0.5 * (1.0 + ops.cos(math.pi * progress))",
        "decayed = end + (peak - end) * ops.cos(0.5 * math.pi * progress)",
        ("tests/training/test_recipes.py",),
        "quarter-cosine instead of half-cosine decay",
    ),
    M(
        "keras_vit/training/recipes.py",
        "progress = ops.clip((step - warmup) / ops.maximum(total - warmup, 1.0), 0.0, 1.0)",
        "progress = ops.clip(step / ops.maximum(total, 1.0), 0.0, 1.0)",
        ("tests/training/test_recipes.py",),
        "decay progress counted from step 0, not from the end of the warm-up",
    ),
    M(
        "keras_vit/training/recipes.py",
        "        beta_2=0.999,\n",
        "        beta_2=0.99,\n",
        ("tests/training/test_recipes.py",),
        "Adam beta_2 0.99",
    ),
    M(
        "keras_vit/training/recipes.py",
        "steps = round(warmup * total_steps) if warmup < 1 else int(warmup)",
        "steps = round(warmup * total_steps) if warmup <= 1 else int(warmup)",
        (G_TRAINING + "::test_warmup_below_one_is_a_fraction_and_from_one_a_step_count",),
        "warm-up 1 read as a fraction (all steps)",
    ),
    M(
        "keras_vit/training/recipes.py",
        "self.warmup_steps = min(self.warmup_steps, self.total_steps // 2)",
        "self.warmup_steps = min(self.warmup_steps, self.total_steps)",
        ("tests/training/test_recipes.py",),
        "shortened schedule keeps a warm-up longer than half of it",
    ),
    M(
        "keras_vit/training/recipes.py",
        "optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=momentum, global_clipnorm=global_clipnorm)",
        "optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=momentum)",
        ("tests/training/test_recipes.py",),
        "fine-tuning without gradient clipping",
    ),
    # --- preprocessing, decoding, serving
    M(
        "keras_vit/preprocessing.py",
        'return x.astype("float32") / 127.5 - 1.0',
        'return x.astype("float32") / 255.0',
        ("tests/test_preprocessing.py",),
        "NumPy preprocessing to [0, 1]",
    ),
    M(
        "keras_vit/preprocessing.py",
        'return ops.cast(x, "float32") / 127.5 - 1.0',
        'return ops.cast(x, "float32") / 255.0',
        (G_SERVING,),
        "tensor preprocessing (serving graph) to [0, 1]",
    ),
    M(
        "keras_vit/preprocessing.py",
        'order = np.argsort(-row, kind="stable")[:top]',
        'order = np.argsort(row, kind="stable")[::-1][:top]',
        (G_SERVING + "::test_decode_predictions_breaks_ties_towards_the_lower_class_index",),
        "decode_predictions ties go to the higher class index",
    ),
    M(
        "keras_vit/deploy/serving_model.py",
        "    if apply_softmax:\n",
        "    if not apply_softmax:\n",
        (G_SERVING,),
        "serving softmax applied to probabilities, skipped on logits",
    ),
    M(
        "keras_vit/deploy/serving_model.py",
        "values, indices = ops.top_k(scores, k=self.k)",
        "values, indices = ops.top_k(scores, k=self.k + 1)\n        values, indices = values[..., 1:], indices[..., 1:]",
        (G_SERVING,),
        "top-k skips the best class",
    ),
    # --- masked patch prediction
    M(
        "keras_vit/pretraining/corruption.py",
        "masked = round(mask_rate * corrupted)",
        "masked = round(mask_rate * num_patches)",
        ("tests/pretraining/test_corruption.py",),
        "MPP mask ratio of all patches, not of the corrupted ones",
    ),
    M(
        "keras_vit/pretraining/corruption.py",
        "replaced = min(round(random_rate * corrupted), corrupted - masked)",
        "replaced = min(round(random_rate * num_patches), corrupted - masked)",
        ("tests/pretraining/test_corruption.py",),
        "MPP random-replacement ratio of all patches",
    ),
    M(
        "keras_vit/pretraining/corruption.py",
        "offset = keras.random.randint((batch, num_patches), 1, max(num_patches, 2), seed=self.seed_generator)",
        "offset = keras.random.randint((batch, num_patches), 0, max(num_patches, 2), seed=self.seed_generator)",
        ("tests/pretraining/test_corruption.py",),
        "MPP replacement may pick the patch itself",
    ),
    M(
        "keras_vit/pretraining/targets.py",
        "place = ops.convert_to_tensor([float(levels ** (channels - 1 - c)) for c in range(channels)])",
        "place = ops.convert_to_tensor([float(levels**c) for c in range(channels)])",
        ("tests/pretraining/test_targets.py",),
        "MPP colour classes with the first channel least significant",
    ),
    M(
        "keras_vit/pretraining/targets.py",
        "bins = ops.clip(ops.floor((means - low) / (high - low) * levels), 0, levels - 1)",
        "bins = ops.floor((means - low) / (high - low) * levels)",
        ("tests/pretraining/test_targets.py",),
        "MPP top colour edge its own bin",
    ),
    # --- pixel statistics
    M(
        L + "pixel_normalization.py",
        "shift = keras.ops.convert_to_tensor([(0.5 - m) / s for m, s in zip(self.mean, self.std)], dtype)",
        "shift = keras.ops.convert_to_tensor([(0.5 - m) for m, s in zip(self.mean, self.std)], dtype)",
        ("tests/layers/test_pixel_normalization.py",),
        "pixel shift not divided by the std",
    ),
    M(
        "keras_vit/models/from_checkpoint.py",
        'return "imagenet" if info.get("distilled") or info.get("layer_scale") else "inception"',
        'return "inception"',
        ("tests/weights/test_timm_format.py::test_facebook_deit_files",),
        "DeiT state dicts taken as [-1, 1] pixels",
    ),
    M(
        "keras_vit/weights/hub.py",
        "            _fetch(repo_id, PREPROCESSOR, revision)\n",
        "            pass\n",
        ("tests/weights/test_hub.py::test_a_repositorys_preprocessor_config_gives_the_pixel_statistics",),
        "hf:// ignores preprocessor_config.json",
    ),
    # --- CPU flags
    M(
        "keras_vit/deploy/cpu.py",
        'present = set((_field(text, "flags") or "").split())',
        'present = set((_field(text, "flags") or "").split(","))',
        ("tests/deploy/test_cpu.py",),
        "CPU flags split on commas",
    ),
    M(
        "keras_vit/deploy/cpu.py",
        'if flags["amx_int8"] or flags["avx512_vnni"] or flags["avx_vnni"]:',
        'if flags["amx_int8"] or flags["avx512_vnni"]:',
        (G_SERVING + "::test_each_int8_dot_product_flag_makes_int8_native",),
        "AVX-VNNI not counted as native int8",
    ),
    M(
        "keras_vit/deploy/cpu.py",
        'and "bfloat16" in native and features["flags"]["amx_bf16"]:',
        'and "bfloat16" in native:',
        ("tests/deploy/test_cpu.py",),
        "auto prefers bf16 without AMX",
    ),
]
