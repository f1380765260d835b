import Foundation
import ImageGate

/// `verify-image-bench references [N]`: times `ImageReference.parse` (strict) and `ImageReference(normalizing:)` on a
/// mix of realistic references, next to the same grammar as one `NSRegularExpression` (distribution/reference's
/// `ReferenceRegexp`, ASCII classes spelled out) — the obvious way to write it — and prints ns per reference.
func benchReferences(_ arguments: [String]) async throws {
    let rounds = arguments.first.flatMap(Int.init) ?? 200_000
    let hex = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
    let inputs = [
        "ubuntu", "ubuntu:22.04", "library/redis:7-alpine", "docker.io/library/busybox:latest",
        "ghcr.io/sigstore/cosign/cosign:v2.5.0@sha256:\(hex)", "registry.k8s.io/pause:3.9",
        "quay.io/prometheus/node-exporter:v1.8.2", "localhost:5000/team/app@sha256:\(hex)",
        "[2001:db8::1]:5000/repo:tag", "public.ecr.aws/eks-distro/kubernetes/pause:v1.29.0-eks-1-29-latest",
        "Uppercase:tag", "repo@sha256:abc", "a/b/c/d/e/f:g", "example.com/aaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbb:x",
    ]

    // distribution/reference ReferenceRegexp, as implemented (regexp.go), with ASCII classes.
    let alnum = "[a-z0-9]+"
    let separator = "(?:[._]|__|[-]+)"
    let pathComponent = "\(alnum)(?:\(separator)\(alnum))*"
    let domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    let domainName = "\(domainComponent)(?:\\.\(domainComponent))*"
    let host = "(?:\(domainName)|\\[(?:[a-fA-F0-9:]+)\\])"
    let domainAndPort = "\(host)(?::[0-9]+)?"
    let name = "(?:\(domainAndPort)/)?\(pathComponent)(?:/\(pathComponent))*"
    let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
    let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
    let regex = try NSRegularExpression(pattern: "^(\(name))(?::(\(tag)))?(?:@(\(digest)))?$")

    func time(_ label: String, _ body: (String) -> Bool) -> Double {
        var best = Double.infinity
        var accepted = 0
        for _ in 0..<3 {
            accepted = 0
            let start = DispatchTime.now()
            for _ in 0..<rounds / inputs.count {
                for input in inputs where body(input) { accepted += 1 }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds))
        }
        let perReference = best / Double((rounds / inputs.count) * inputs.count)
        print(String(format: "%-44@ %8.0f ns/reference (%d accepted per round)", label as NSString, perReference,
                     accepted / max(1, rounds / inputs.count)))
        return perReference
    }

    print("\(rounds) parses of \(inputs.count) references (best of 3)")
    let strict = time("ImageReference.parse (strict, + go-digest)") { (try? ImageReference.parse($0)) != nil }
    let normalized = time("ImageReference(normalizing:)") { (try? ImageReference(normalizing: $0)) != nil }
    let ns = time("NSRegularExpression ReferenceRegexp (match only)") { input in
        regex.firstMatch(in: input, range: NSRange(input.startIndex..., in: input)) != nil
    }
    print(String(format: "strict parse vs NSRegularExpression match: %.1fx faster; normalized: %.1fx", ns / strict, ns / normalized))
}
