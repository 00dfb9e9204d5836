build-static/obj/splittop/text.o: src/splittop/text.c src/splittop/text.h
src/splittop/text.h:
