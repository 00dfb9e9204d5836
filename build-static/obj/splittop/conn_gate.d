build-static/obj/splittop/conn_gate.o: src/splittop/conn_gate.c \
 src/splittop/conn_gate.h
src/splittop/conn_gate.h:
