package genmodels

// The structs and constants of genmodels.h as cgo sees them, for layout_test.go, which
// compares them with the C compiler's own view (bindings/layout/print_layout.c).

/*
#include <genmodels/genmodels.h>
*/
import "C"

import "unsafe"

// cField is [name, offset, size] of one field, as print_layout.c writes it.
type cField struct {
	Name         string
	Offset, Size uintptr
}

type cStruct struct {
	Size, Align uintptr
	Fields      []cField
}

func cLayout() map[string]cStruct {
	var data C.gm_data
	var fit C.gm_fit_options
	var report C.gm_epoch_report
	var sample C.gm_sample_options
	var score C.gm_score_options
	var dataset C.gm_dataset_options
	var translate C.gm_translate_options
	return map[string]cStruct{
		"gm_data": {unsafe.Sizeof(data), unsafe.Alignof(data), []cField{
			{"struct_size", unsafe.Offsetof(data.struct_size), unsafe.Sizeof(data.struct_size)},
			{"x", unsafe.Offsetof(data.x), unsafe.Sizeof(data.x)},
			{"n", unsafe.Offsetof(data.n), unsafe.Sizeof(data.n)},
			{"d", unsafe.Offsetof(data.d), unsafe.Sizeof(data.d)},
			{"channels", unsafe.Offsetof(data.channels), unsafe.Sizeof(data.channels)},
			{"height", unsafe.Offsetof(data.height), unsafe.Sizeof(data.height)},
			{"width", unsafe.Offsetof(data.width), unsafe.Sizeof(data.width)},
			{"labels", unsafe.Offsetof(data.labels), unsafe.Sizeof(data.labels)},
			{"num_classes", unsafe.Offsetof(data.num_classes), unsafe.Sizeof(data.num_classes)},
			{"conditions", unsafe.Offsetof(data.conditions), unsafe.Sizeof(data.conditions)},
			{"condition_dim", unsafe.Offsetof(data.condition_dim), unsafe.Sizeof(data.condition_dim)},
			{"levels", unsafe.Offsetof(data.levels), unsafe.Sizeof(data.levels)},
		}},
		"gm_fit_options": {unsafe.Sizeof(fit), unsafe.Alignof(fit), []cField{
			{"struct_size", unsafe.Offsetof(fit.struct_size), unsafe.Sizeof(fit.struct_size)},
			{"epochs", unsafe.Offsetof(fit.epochs), unsafe.Sizeof(fit.epochs)},
			{"batch_size", unsafe.Offsetof(fit.batch_size), unsafe.Sizeof(fit.batch_size)},
			{"learning_rate", unsafe.Offsetof(fit.learning_rate), unsafe.Sizeof(fit.learning_rate)},
			{"seed", unsafe.Offsetof(fit.seed), unsafe.Sizeof(fit.seed)},
			{"threads", unsafe.Offsetof(fit.threads), unsafe.Sizeof(fit.threads)},
			{"progress", unsafe.Offsetof(fit.progress), unsafe.Sizeof(fit.progress)},
			{"user_data", unsafe.Offsetof(fit.user_data), unsafe.Sizeof(fit.user_data)},
			{"validation_fraction", unsafe.Offsetof(fit.validation_fraction), unsafe.Sizeof(fit.validation_fraction)},
			{"patience", unsafe.Offsetof(fit.patience), unsafe.Sizeof(fit.patience)},
			{"epoch_callback", unsafe.Offsetof(fit.epoch_callback), unsafe.Sizeof(fit.epoch_callback)},
			{"epoch_user_data", unsafe.Offsetof(fit.epoch_user_data), unsafe.Sizeof(fit.epoch_user_data)},
			{"warm_start", unsafe.Offsetof(fit.warm_start), unsafe.Sizeof(fit.warm_start)},
			{"checkpoint_every", unsafe.Offsetof(fit.checkpoint_every), unsafe.Sizeof(fit.checkpoint_every)},
			{"checkpoint_path", unsafe.Offsetof(fit.checkpoint_path), unsafe.Sizeof(fit.checkpoint_path)},
			{"distributed", unsafe.Offsetof(fit.distributed), unsafe.Sizeof(fit.distributed)},
			{"mpi_comm", unsafe.Offsetof(fit.mpi_comm), unsafe.Sizeof(fit.mpi_comm)},
			{"sync_batch_norm", unsafe.Offsetof(fit.sync_batch_norm), unsafe.Sizeof(fit.sync_batch_norm)},
			{"sharded", unsafe.Offsetof(fit.sharded), unsafe.Sizeof(fit.sharded)},
		}},
		"gm_epoch_report": {unsafe.Sizeof(report), unsafe.Alignof(report), []cField{
			{"struct_size", unsafe.Offsetof(report.struct_size), unsafe.Sizeof(report.struct_size)},
			{"epoch", unsafe.Offsetof(report.epoch), unsafe.Sizeof(report.epoch)},
			{"last_epoch", unsafe.Offsetof(report.last_epoch), unsafe.Sizeof(report.last_epoch)},
			{"train_loss", unsafe.Offsetof(report.train_loss), unsafe.Sizeof(report.train_loss)},
			{"validation_loss", unsafe.Offsetof(report.validation_loss), unsafe.Sizeof(report.validation_loss)},
			{"best_epoch", unsafe.Offsetof(report.best_epoch), unsafe.Sizeof(report.best_epoch)},
			{"discriminator_loss", unsafe.Offsetof(report.discriminator_loss), unsafe.Sizeof(report.discriminator_loss)},
			{"generator_loss", unsafe.Offsetof(report.generator_loss), unsafe.Sizeof(report.generator_loss)},
			{"images_per_second", unsafe.Offsetof(report.images_per_second), unsafe.Sizeof(report.images_per_second)},
			{"epoch_seconds", unsafe.Offsetof(report.epoch_seconds), unsafe.Sizeof(report.epoch_seconds)},
			{"elapsed_seconds", unsafe.Offsetof(report.elapsed_seconds), unsafe.Sizeof(report.elapsed_seconds)},
			{"eta_seconds", unsafe.Offsetof(report.eta_seconds), unsafe.Sizeof(report.eta_seconds)},
			{"stopping", unsafe.Offsetof(report.stopping), unsafe.Sizeof(report.stopping)},
		}},
		"gm_sample_options": {unsafe.Sizeof(sample), unsafe.Alignof(sample), []cField{
			{"struct_size", unsafe.Offsetof(sample.struct_size), unsafe.Sizeof(sample.struct_size)},
			{"seed", unsafe.Offsetof(sample.seed), unsafe.Sizeof(sample.seed)},
			{"threads", unsafe.Offsetof(sample.threads), unsafe.Sizeof(sample.threads)},
			{"labels", unsafe.Offsetof(sample.labels), unsafe.Sizeof(sample.labels)},
			{"conditions", unsafe.Offsetof(sample.conditions), unsafe.Sizeof(sample.conditions)},
			{"condition_dim", unsafe.Offsetof(sample.condition_dim), unsafe.Sizeof(sample.condition_dim)},
			{"stage", unsafe.Offsetof(sample.stage), unsafe.Sizeof(sample.stage)},
			{"truncation", unsafe.Offsetof(sample.truncation), unsafe.Sizeof(sample.truncation)},
		}},
		"gm_score_options": {unsafe.Sizeof(score), unsafe.Alignof(score), []cField{
			{"struct_size", unsafe.Offsetof(score.struct_size), unsafe.Sizeof(score.struct_size)},
			{"seed", unsafe.Offsetof(score.seed), unsafe.Sizeof(score.seed)},
			{"threads", unsafe.Offsetof(score.threads), unsafe.Sizeof(score.threads)},
			{"samples", unsafe.Offsetof(score.samples), unsafe.Sizeof(score.samples)},
		}},
		"gm_dataset_options": {unsafe.Sizeof(dataset), unsafe.Alignof(dataset), []cField{
			{"struct_size", unsafe.Offsetof(dataset.struct_size), unsafe.Sizeof(dataset.struct_size)},
			{"binarize", unsafe.Offsetof(dataset.binarize), unsafe.Sizeof(dataset.binarize)},
			{"max_examples", unsafe.Offsetof(dataset.max_examples), unsafe.Sizeof(dataset.max_examples)},
			{"levels", unsafe.Offsetof(dataset.levels), unsafe.Sizeof(dataset.levels)},
		}},
		"gm_translate_options": {unsafe.Sizeof(translate), unsafe.Alignof(translate), []cField{
			{"struct_size", unsafe.Offsetof(translate.struct_size), unsafe.Sizeof(translate.struct_size)},
			{"seed", unsafe.Offsetof(translate.seed), unsafe.Sizeof(translate.seed)},
			{"threads", unsafe.Offsetof(translate.threads), unsafe.Sizeof(translate.threads)},
			{"domain", unsafe.Offsetof(translate.domain), unsafe.Sizeof(translate.domain)},
			{"domain_name", unsafe.Offsetof(translate.domain_name), unsafe.Sizeof(translate.domain_name)},
			{"domains", unsafe.Offsetof(translate.domains), unsafe.Sizeof(translate.domains)},
		}},
	}
}

// cConstants are the values this package uses for the header's constants.
func cConstants() map[string]int64 {
	return map[string]int64{
		"GM_ABI_VERSION": ABIVersion,
		"GM_OK":          C.GM_OK, "GM_INVALID_ARGUMENT": int64(InvalidArgument), "GM_UNSUPPORTED": int64(Unsupported),
		"GM_BUFFER_TOO_SMALL": int64(BufferTooSmall), "GM_INVALID_DATA": int64(InvalidData),
		"GM_INVALID_CONFIG": int64(InvalidConfig), "GM_UNKNOWN_KIND": int64(UnknownKind),
		"GM_NOT_FITTED": int64(NotFitted), "GM_IO_ERROR": int64(IOError), "GM_CORRUPT_FILE": int64(CorruptFile),
		"GM_CANCELLED": int64(Cancelled), "GM_DIVERGED": int64(Diverged), "GM_OUT_OF_MEMORY": int64(OutOfMemory),
		"GM_VERSION_MISMATCH": int64(VersionMismatch), "GM_INTERNAL": int64(Internal),
		"GM_CAP_FIT": int64(CapFit), "GM_CAP_SAMPLE": int64(CapSample), "GM_CAP_LOG_PROB": int64(CapLogProb),
		"GM_CAP_ENCODE": int64(CapEncode), "GM_CAP_DECODE": int64(CapDecode), "GM_CAP_COMPLETE": int64(CapComplete),
		"GM_CAP_TRANSLATE": int64(CapTranslate), "GM_CAP_CONDITIONAL": int64(CapConditional),
		"GM_CAP_BINARY_DATA": int64(CapBinaryData), "GM_CAP_EXACT_LOG_PROB": int64(CapExactLogProb),
		"GM_CAP_LEVELS": int64(CapLevels), "GM_CAP_COMPLETE_FROM_PARTS": int64(CapCompleteFromParts),
		"GM_CONDITION_NONE": C.GM_CONDITION_NONE, "GM_CONDITION_LABEL": C.GM_CONDITION_LABEL,
		"GM_CONDITION_VECTOR": C.GM_CONDITION_VECTOR, "GM_CONDITION_TEXT": C.GM_CONDITION_TEXT,
	}
}
