build-static/obj/splittop/vm_table.o: src/splittop/vm_table.c \
 src/splittop/vm_table.h bpf/splittop.h src/splittop/text.h \
 src/splittop/vm_name.h
src/splittop/vm_table.h:
bpf/splittop.h:
src/splittop/text.h:
src/splittop/vm_name.h:
