// TaskPreset+Embedded: verbatim copies of assets/presets/{copy,copy-hard,text}/{config,train}.json, so an installed
// binary finds its presets with no assets folder. TaskTests checks them byte for byte against the files;
// after editing a file in assets/, regenerate this one with `python3 scripts/embed_presets.py`.

enum EmbeddedPresets {
    struct Files: Sendable {
        let config: String
        let training: String
    }

    static let files: [String: Files] = [
        "copy": Files(
            config: #"""
{
  "architectures": ["ReformerModelWithLMHead"],
  "model_type": "reformer",
  "is_decoder": true,
  "attn_layers": ["lsh"],
  "hidden_size": 64,
  "feed_forward_size": 64,
  "num_attention_heads": 4,
  "attention_head_size": 16,
  "hidden_act": "relu",
  "vocab_size": 128,
  "pad_token_id": 0,
  "eos_token_id": null,
  "max_position_embeddings": 64,
  "axial_pos_embds": false,
  "axial_pos_shape": [8, 8],
  "axial_pos_embds_dim": [32, 32],
  "axial_norm_std": 1.0,
  "lsh_attn_chunk_length": 8,
  "lsh_num_chunks_before": 1,
  "lsh_num_chunks_after": 0,
  "local_attn_chunk_length": 8,
  "local_num_chunks_before": 1,
  "local_num_chunks_after": 0,
  "num_buckets": 16,
  "num_hashes": 4,
  "hash_seed": null,
  "hidden_dropout_prob": 0.0,
  "lsh_attention_probs_dropout_prob": 0.0,
  "local_attention_probs_dropout_prob": 0.0,
  "initializer_range": 0.02,
  "layer_norm_eps": 1e-12,
  "chunk_size_feed_forward": 0,
  "chunk_size_lm_head": 0,
  "tie_word_embeddings": false
}

"""#,
            training: #"""
{
  "task": "copy",
  "copy": { "word_length": 31 },
  "steps": 2000,
  "batch_size": 32,
  "learning_rate": 0.001,
  "warmup_steps": 200,
  "schedule": "constant",
  "min_learning_rate": 0.0,
  "beta1": 0.9,
  "beta2": 0.98,
  "epsilon": 1e-9,
  "weight_decay": 0.0,
  "clip_norm": null,
  "eval_every": 100,
  "eval_sequences": 256,
  "eval_batches": 8,
  "checkpoint_every": 200,
  "log_every_seconds": 1.0,
  "seed": 0
}

"""#
        ),
        "copy-hard": Files(
            config: #"""
{
  "architectures": ["ReformerModelWithLMHead"],
  "model_type": "reformer",
  "is_decoder": true,
  "attn_layers": ["lsh"],
  "hidden_size": 64,
  "feed_forward_size": 64,
  "num_attention_heads": 4,
  "attention_head_size": 16,
  "hidden_act": "relu",
  "vocab_size": 128,
  "pad_token_id": 0,
  "eos_token_id": null,
  "max_position_embeddings": 256,
  "axial_pos_embds": false,
  "axial_pos_shape": [16, 16],
  "axial_pos_embds_dim": [32, 32],
  "axial_norm_std": 1.0,
  "lsh_attn_chunk_length": 8,
  "lsh_num_chunks_before": 1,
  "lsh_num_chunks_after": 0,
  "local_attn_chunk_length": 8,
  "local_num_chunks_before": 1,
  "local_num_chunks_after": 0,
  "num_buckets": 64,
  "num_hashes": 4,
  "hash_seed": null,
  "hidden_dropout_prob": 0.0,
  "lsh_attention_probs_dropout_prob": 0.0,
  "local_attention_probs_dropout_prob": 0.0,
  "initializer_range": 0.02,
  "layer_norm_eps": 1e-12,
  "chunk_size_feed_forward": 0,
  "chunk_size_lm_head": 0,
  "tie_word_embeddings": false
}

"""#,
            training: #"""
{
  "task": "copy",
  "copy": { "word_length": 127 },
  "steps": 2000,
  "batch_size": 32,
  "learning_rate": 0.001,
  "warmup_steps": 200,
  "schedule": "constant",
  "min_learning_rate": 0.0,
  "beta1": 0.9,
  "beta2": 0.98,
  "epsilon": 1e-9,
  "weight_decay": 0.0,
  "clip_norm": null,
  "eval_every": 250,
  "eval_sequences": 256,
  "eval_batches": 8,
  "checkpoint_every": 250,
  "log_every_seconds": 1.0,
  "seed": 0
}

"""#
        ),
        "text": Files(
            config: #"""
{
  "architectures": ["ReformerModelWithLMHead"],
  "model_type": "reformer",
  "is_decoder": true,
  "attn_layers": ["local", "lsh", "local", "lsh", "local", "lsh"],
  "hidden_size": 256,
  "feed_forward_size": 1024,
  "num_attention_heads": 4,
  "attention_head_size": 64,
  "hidden_act": "relu",
  "vocab_size": 256,
  "pad_token_id": 0,
  "eos_token_id": null,
  "max_position_embeddings": 4096,
  "axial_pos_embds": true,
  "axial_pos_shape": [64, 64],
  "axial_pos_embds_dim": [64, 192],
  "axial_norm_std": 0.02,
  "lsh_attn_chunk_length": 64,
  "lsh_num_chunks_before": 1,
  "lsh_num_chunks_after": 0,
  "local_attn_chunk_length": 64,
  "local_num_chunks_before": 1,
  "local_num_chunks_after": 0,
  "num_buckets": 64,
  "num_hashes": 2,
  "hash_seed": null,
  "hidden_dropout_prob": 0.0,
  "lsh_attention_probs_dropout_prob": 0.0,
  "local_attention_probs_dropout_prob": 0.0,
  "initializer_range": 0.02,
  "layer_norm_eps": 1e-12,
  "chunk_size_feed_forward": 0,
  "chunk_size_lm_head": 0,
  "tie_word_embeddings": false
}

"""#,
            training: #"""
{
  "task": "text",
  "text": {
    "data": "../../text/commonplace.txt",
    "validation_fraction": 0.1,
    "length": 4096
  },
  "steps": 2000,
  "batch_size": 1,
  "learning_rate": 0.0005,
  "warmup_steps": 100,
  "schedule": "cosine",
  "min_learning_rate": 0.00005,
  "beta1": 0.9,
  "beta2": 0.98,
  "epsilon": 1e-9,
  "weight_decay": 0.01,
  "clip_norm": 1.0,
  "eval_every": 100,
  "eval_batches": 3,
  "eval_sequences": 256,
  "checkpoint_every": 500,
  "log_every_seconds": 1.0,
  "seed": 0
}

"""#
        ),
    ]
}
