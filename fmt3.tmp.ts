import { format } from './compiler/format.js';
const text = `recipe x
view aug = random_resized_crop(28, scale: 0.08..1.0)   # crop
         | random_apply(0.8, color_jitter(brightness: 0.8,   # b
                                          contrast: 0.8))   # c
network encoder = convnet(channels: [32,
    64, 128], kernel: 3)
  -> mlp([1])
loss = nt_xent(projector(encoder(x1)),
               projector(encoder(x2)), temperature: 0.5)
     + 0.1 * vicreg(a, b)
probe knn(k: 20, fit: mnist(split: "train",
                            labels: 1%), on: test)
`;
const r = format(text); console.log(r.text ?? r.diagnostics);
console.log(r.text === text);
