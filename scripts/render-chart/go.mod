module imageverifier/render-chart

go 1.19
