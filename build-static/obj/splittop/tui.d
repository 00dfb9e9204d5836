build-static/obj/splittop/tui.o: src/splittop/tui.c src/splittop/keys.h \
 src/splittop/self_stats.h bpf/splittop.h src/splittop/tui.h \
 src/splittop/snapshot.h src/splittop/metrics.h \
 src/splittop/metric_table.h src/splittop/vm_table.h src/splittop/view.h
src/splittop/keys.h:
src/splittop/self_stats.h:
bpf/splittop.h:
src/splittop/tui.h:
src/splittop/snapshot.h:
src/splittop/metrics.h:
src/splittop/metric_table.h:
src/splittop/vm_table.h:
src/splittop/view.h:
