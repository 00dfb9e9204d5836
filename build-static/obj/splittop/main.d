build-static/obj/splittop/main.o: src/splittop/main.c \
 src/splittop/bpf_log.h src/common/clock.h src/splittop/command.h \
 src/splittop/exporter.h src/splittop/listen_addr.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h bpf/splittop.h \
 src/splittop/web_config.h src/splittop/options.h src/splittop/replay.h \
 src/splittop/tracer.h src/splittop/output_file.h src/splittop/record.h \
 src/splittop/render.h src/splittop/replay_tui.h src/splittop/selection.h \
 src/splittop/self_stats.h src/splittop/tui.h
src/splittop/bpf_log.h:
src/common/clock.h:
src/splittop/command.h:
src/splittop/exporter.h:
src/splittop/listen_addr.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/web_config.h:
src/splittop/options.h:
src/splittop/replay.h:
src/splittop/tracer.h:
src/splittop/output_file.h:
src/splittop/record.h:
src/splittop/render.h:
src/splittop/replay_tui.h:
src/splittop/selection.h:
src/splittop/self_stats.h:
src/splittop/tui.h:
